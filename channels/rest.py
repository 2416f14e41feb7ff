"""REST channel that masks and vaults card data before Rasa parses or stores the message."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Optional

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.vault import conversation_paused, redact

log = logging.getLogger(__name__)
LONGEST_MESSAGE = 1000  # what NLU reads well
LONGEST_FOR_AGENT = 4000  # what a support agent reads during a handoff (the widget allows 2000)


def triage(text: str, paused: bool = False) -> str:
    """Messages NLU cannot read well become explicit intents, so the answer says what was wrong.
    While the conversation is paused for a support agent, a long message goes through to them."""
    if not text.strip():
        return "/empty_message"
    if len(text) > LONGEST_MESSAGE and not (paused and len(text) <= LONGEST_FOR_AGENT):
        return "/message_too_long"
    return text


async def triage_for(text: str, agent: Any, sender_id: str) -> str:
    """`triage`, reading the tracker only for a long message (is an agent reading it?)."""
    paused = len(text) > LONGEST_MESSAGE and await conversation_paused(agent, sender_id)
    return triage(text, paused)


class RedactingRestInput(RestInput):
    """POST /webhooks/rest/webhook with {sender, message, metadata: {token, locale}}."""

    def __init__(self, billing_url: str = "http://127.0.0.1:8081") -> None:
        self.billing_url = billing_url

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> InputChannel:
        return cls(**(credentials or {}))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("rest_redacting_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = request.json if isinstance(request.json, dict) else {}
            sender_id = str(body.get("sender") or "default")[:128]
            text = body.get("message")
            text = text if isinstance(text, str) else ""
            agent = getattr(request.app.ctx, "agent", None)
            text = await triage_for(text, agent, sender_id)
            metadata = self.get_metadata(request) or {}
            text, metadata = await redact(text, metadata, agent, sender_id, self.billing_url)
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(text, collector, sender_id, input_channel=self.name(), metadata=metadata)
                )
            except Exception:
                log.exception("message processing failed for sender %s", sender_id)
                return response.json({"error": "processing_failed"}, status=500)
            return response.json(collector.messages)

        return webhook
