"""REST channel that masks and vaults card data before Rasa parses or stores the message."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Optional

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.settings import Settings
from channels.identity import SENDER_ID, Owners, verify_user_token
from channels.silence import (
    ActionServerWatch,
    failed_turn_apology,
    not_saved_apology,
    store_apology,
)
from channels.vault import conversation_paused, redact
from reading.words import wordless

log = logging.getLogger(__name__)
LARGEST_METADATA = 4096  # a token, a locale, a button's title: stored on every event, so bounded
LONGEST_MESSAGE = 1000  # what NLU reads well
LONGEST_FOR_AGENT = 4000  # what a support agent reads during a handoff (the widget allows 2000)


def triage(text: str, paused: bool = False) -> str:
    """Messages NLU cannot read well become explicit intents, so the answer says what was wrong.
    While the conversation is paused for a support agent, a long message or an emoji goes through to them."""
    if not text.strip() or (wordless(text) and not paused):
        return "/empty_message"
    if len(text) > LONGEST_MESSAGE and not (paused and len(text) <= LONGEST_FOR_AGENT):
        return "/message_too_long"
    return text


async def triage_for(text: str, agent: Any, sender_id: str) -> str:
    """`triage`, reading the tracker only when the answer depends on it (is an agent reading it?)."""
    depends = text.strip() and (len(text) > LONGEST_MESSAGE or wordless(text))
    paused = bool(depends) and await conversation_paused(agent, sender_id)
    return triage(text, paused)


def encodable(text: str) -> bool:
    """False for text no store can save (a lone surrogate from JSON's \\ud800)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _refusal(status: int, code: str, message: str) -> HTTPResponse:
    return response.json({"error": {"code": code, "message": message}}, status=status)


class RedactingRestInput(RestInput):
    """POST /webhooks/rest/webhook with {sender, message, metadata: {token, locale}}.

    Every message is authorized by its own token: the user it names must own the conversation (the
    user of its first message). Anything else is refused before Rasa sees it, with no reply content."""

    def __init__(self, settings: Settings) -> None:
        self.billing_url = settings.billing_url
        self.token_rules = settings.token_rules
        self.owners = Owners()
        self.watch = ActionServerWatch()

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> InputChannel:
        """Rasa's start hook for a channel: the settings are read here, once (credentials.yml: none)."""
        return cls(Settings.from_environment())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("rest_redacting_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = request.json
            if not isinstance(body, dict):
                return _refusal(400, "bad_request", "Send a JSON object: {sender, message, metadata}.")
            sender_id, text, sent = body.get("sender"), body.get("message"), body.get("metadata", {})
            if not isinstance(sender_id, str) or not SENDER_ID.match(sender_id):
                return _refusal(
                    400, "bad_sender", "'sender' is required: 1 to 128 letters, digits or . _ : @ -"
                )
            if not isinstance(text, str) or not encodable(text):
                return _refusal(400, "bad_message", "'message' is required and must be a string of text.")
            if not isinstance(sent, dict):
                return _refusal(400, "bad_metadata", "'metadata' must be an object.")
            if len(json.dumps(sent, default=str)) > LARGEST_METADATA:
                return _refusal(
                    413, "metadata_too_large", f"'metadata' is limited to {LARGEST_METADATA} bytes."
                )
            claims = verify_user_token(sent.get("token"), self.token_rules)
            if claims is None:
                return _refusal(401, "signed_out", "Send a valid user token in metadata.token.")
            agent = getattr(request.app.ctx, "agent", None)
            locale = str(sent.get("locale") or "")
            collector = CollectingOutputChannel()

            async def answer(message: Optional[dict[str, Any]]) -> HTTPResponse:
                """Only `message`: whatever a failed turn had said is not sent."""
                alone = CollectingOutputChannel()
                if message:
                    await alone.send_response(sender_id, message)
                return response.json(alone.messages)

            # Fail closed: a turn that could not be saved does not start (no action, no payment).
            not_saved = await store_apology(agent, self.name(), locale)
            if not_saved:
                return await answer(not_saved)
            try:
                owner = await self.owners.of(agent, sender_id)
                if owner is not None and owner != claims.user_id:
                    log.warning("refused a message to a conversation of another user")
                    return _refusal(
                        403, "not_your_conversation", "This conversation belongs to another user."
                    )
                self.owners.remember(sender_id, claims.user_id)
                text = await triage_for(text, agent, sender_id)
                # The owner from the verified token only; vault references only from the channel.
                metadata = {**{k: v for k, v in sent.items() if k != "vault"}, "user": claims.user_id}
                text, metadata = await redact(text, metadata, agent, sender_id, self.billing_url)
                apology = await self.watch.apology_instead(agent, sender_id, self.name(), locale)
            except Exception as error:  # the store failed after the check: still nothing ran
                log.error("a message was not processed: %s", type(error).__name__)
                return await answer(not_saved_apology(agent, self.name(), locale))
            if apology:
                return await answer(apology)
            try:
                await on_new_message(
                    UserMessage(text, collector, sender_id, input_channel=self.name(), metadata=metadata)
                )
            except Exception as error:
                # What the turn said is dropped: it may not have been saved. Its type only (no user data).
                log.error("a turn failed for sender %s: %s", sender_id, type(error).__name__)
                return await answer(failed_turn_apology(agent, self.name(), locale))
            if not collector.messages:
                apology = await self.watch.apology_after(agent, sender_id, self.name(), locale)
                if apology:
                    await collector.send_response(sender_id, apology)
            return response.json(collector.messages)

        return webhook
