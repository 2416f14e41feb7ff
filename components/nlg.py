"""The domain's responses, each tagged with the language it was written in.

The widget follows the conversation's language (its own labels, the FR/EN toggle) from this tag: the
`language` slot picks the response variation, so the tag is exactly the language the user reads.
Set in endpoints.yml: `nlg: {type: components.nlg.LanguageTaggedNLG}`.
"""

from __future__ import annotations

from typing import Any, Optional

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

LANGUAGES = ("en", "fr")


class LanguageTaggedNLG(TemplatedNaturalLanguageGenerator):
    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, domain: Optional[Domain] = None):
        super().__init__((domain or Domain.empty()).responses)

    async def generate(
        self, utter_action: str, tracker: DialogueStateTracker, output_channel: str, **kwargs: Any
    ) -> Optional[dict[str, Any]]:
        message: Optional[dict[str, Any]] = await super().generate(
            utter_action, tracker, output_channel, **kwargs
        )
        if message is not None:
            slot = tracker.get_slot("language")
            message["language"] = slot if slot in LANGUAGES else LANGUAGES[0]
        return message
