"""The language a message is written in, read inside the Rasa process as an NLU component.

It adds a `language` entity ("fr" or "en") when the text clearly leans one way (reading.language), and
the `language` slot fills from it (domain/conversation.yml). Before, a custom slot mapping ran an
action over HTTP on every user message for this alone. It runs after the intent classifiers: a switch
request ("in French please" is English asking for French) is left to `action_switch_language`, which
knows the current language. Numbers, payloads and one-word answers ("ok") add nothing: the slot keeps
its value.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    INTENT,
    INTENT_NAME_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from reading.language import detect_language

ENTITY = "language"
SWITCH_INTENT = "switch_language"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class LanguageDetector(GraphComponent, EntityExtractorMixin):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            language = self.language_of(message)
            if language is None:
                continue
            text = message.get(TEXT) or ""
            entity = {
                ENTITY_ATTRIBUTE_TYPE: ENTITY,
                ENTITY_ATTRIBUTE_VALUE: language,
                ENTITY_ATTRIBUTE_START: 0,
                ENTITY_ATTRIBUTE_END: len(text),
                EXTRACTOR: type(self).__name__,
            }
            message.set(ENTITIES, [*(message.get(ENTITIES) or []), entity], add_to_output=True)
        return messages

    @staticmethod
    def language_of(message: Message) -> str | None:
        if (message.get(INTENT) or {}).get(INTENT_NAME_KEY) == SWITCH_INTENT:
            return None
        return detect_language(message.get(TEXT) or "")
