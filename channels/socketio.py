"""socket.io channel for the portal widget.

Fixes and additions over Rasa 3.6.21's `SocketIOInput`:
- awaits `enter_room` (stock Rasa calls the coroutine without awaiting it, so with session persistence
  the socket never joins its room and the user receives no reply at all);
- verifies the portal's signed user token at connect and refuses the socket without one;
- passes the token and the page's locale to Rasa as message metadata;
- forwards bot-message metadata (response name, agent name) to the widget;
- masks and vaults card numbers and security codes like the REST channel.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Optional

import jwt
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from assistant.settings import Settings
from channels.identity import Owners, verify_user_token
from channels.rest import encodable, triage_for
from channels.silence import (
    ActionServerWatch,
    failed_turn_apology,
    not_saved_apology,
    store_apology,
)
from channels.socket_room import SafeSocketBlueprint, WidgetOutput, shared_rooms
from channels.vault import redact
from security.cards import find_card_data

log = logging.getLogger(__name__)
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def verify_service_token(token: str, secret: str) -> bool:
    """A token the web service signed with Rasa's API secret for the typing relay."""
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"])
    except jwt.PyJWTError:
        return False
    return claims.get("purpose") == "agent_typing"


def shown_text(typed: str, triaged: str, redacted: str, metadata: dict[str, Any]) -> str:
    """The user's message as every tab of the conversation shows it: card data masked, a button
    payload as its title, a message Rasa did not read (too long, empty) as typed but masked."""
    if triaged != typed:
        return find_card_data(typed).text
    if redacted.startswith("/") and metadata.get("shown_as"):
        return str(metadata["shown_as"])
    return redacted


def _message_id(data: dict[str, Any]) -> str:
    """The sending tab's id for its message, so it can replace its own bubble with the masked text."""
    value = data.get("message_id")
    return value[:64] if isinstance(value, str) else ""


class PortalSocketIOInput(SocketIOInput):
    """`channels.socketio.PortalSocketIOInput` in credentials.yml."""

    def __init__(self, settings: Settings, socketio_path: str = "/socket.io") -> None:
        super().__init__(session_persistence=True, socketio_path=socketio_path)
        self.billing_url = settings.billing_url
        self.cors_origins = [settings.portal_origin]
        self.token_rules = settings.token_rules
        # The web service signs its calls to `agent_typing` with Rasa's API secret.
        self.api_secret = settings.rasa_jwt_secret
        self.redis_url = settings.socketio_redis_url
        self.owners = Owners()
        self.watch = ActionServerWatch()

    @classmethod
    def name(cls) -> str:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> InputChannel:
        """Rasa's start hook for a channel: the settings are read here, once (credentials.yml may set
        `socketio_path`)."""
        path = str((credentials or {}).get("socketio_path") or "/socket.io")
        return cls(Settings.from_environment(), socketio_path=path)

    def get_output_channel(self) -> Optional[OutputChannel]:
        return WidgetOutput(self.sio) if self.sio else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        rooms = shared_rooms(self.redis_url)
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=self.cors_origins, **rooms)
        webhook = SafeSocketBlueprint(sio, self.socketio_path, "portal_socketio_webhook", __name__)
        self.sio = sio

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/agent_typing", methods=["POST"])
        async def agent_typing(request: Request) -> HTTPResponse:
            """The agent console's typing indicator, relayed to the conversation's room (not stored)."""
            header = request.headers.get("Authorization", "")
            if not self.api_secret or not verify_service_token(header[7:], self.api_secret):
                return response.json({"error": "unauthorized"}, status=401)
            body = request.json if isinstance(request.json, dict) else {}
            session_id = body.get("session_id")
            if not isinstance(session_id, str) or not session_id:
                return response.json({"error": "session_id is required"}, status=400)
            await sio.emit(
                "agent_typing",
                {"agent_name": str(body.get("agent_name") or "")[:100], "typing": bool(body.get("typing"))},
                room=session_id,
            )
            return response.json({"ok": True})

        @sio.on("connect")
        async def connect(sid: str, environ: dict[str, Any], auth: Optional[dict[str, Any]] = None) -> bool:
            token = (auth or {}).get("token")
            claims = verify_user_token(token, self.token_rules)
            if claims is None:
                log.info("socket %s refused: no valid user token", sid)
                return False
            await sio.save_session(sid, {"token": token, "user": claims.user_id})
            return True

        @sio.on("session_request")
        async def session_request(sid: str, data: Any = None) -> None:
            """Join the asked conversation if it is this user's (or new), else a fresh one."""
            session = await sio.get_session(sid)
            asked = (data or {}).get("session_id") if isinstance(data, dict) else None
            session_id = asked if isinstance(asked, str) and SESSION_ID.match(asked) else None
            if session_id:
                try:
                    owner = await self.owners.of(self._agent(webhook), session_id)
                except Exception as error:  # the store cannot tell whose it is: join nothing
                    log.error("socket %s not joined: %s", sid, type(error).__name__)
                    locale = str((data or {}).get("locale") or "") if isinstance(data, dict) else ""
                    apology = not_saved_apology(self._agent(webhook), self.name(), locale)
                    if apology:
                        await WidgetOutput(sio, self.bot_message_evt).send_response(sid, apology)
                    return
                if owner is not None and owner != session["user"]:
                    log.warning("socket %s asked for a conversation of another user", sid)
                    session_id = None
            session_id = session_id or uuid.uuid4().hex
            self.owners.remember(session_id, session["user"])
            for joined in session.get("rooms", []):
                await sio.leave_room(sid, joined)
            await sio.save_session(sid, {**session, "rooms": [session_id]})
            await sio.enter_room(sid, session_id)  # stock Rasa forgets this await
            await sio.emit("session_confirm", session_id, room=sid)

        @sio.on(self.user_message_evt)
        async def handle_message(sid: str, data: Any = None) -> None:
            session = await sio.get_session(sid)
            if not isinstance(data, dict) or not isinstance(data.get("message"), str):
                return
            if not encodable(data["message"]):
                return
            session_id = str(data.get("session_id") or "")
            if session_id not in session.get("rooms", []):
                # Only the conversation this socket joined, which session_request checked is the user's.
                await sio.emit("session_refused", {"session_id": session_id}, room=sid)
                return
            sent = data.get("metadata")
            sent_metadata: dict[str, Any] = sent if isinstance(sent, dict) else {}
            metadata = {
                "token": session["token"],
                "user": session["user"],
                "locale": str(sent_metadata.get("locale") or "")[:10],
                # What the user saw for a button payload, so history reads as it was clicked.
                "shown_as": str(sent_metadata.get("shown_as") or "")[:200],
            }
            agent = self._agent(webhook)
            typed = data["message"]
            output = WidgetOutput(sio, self.bot_message_evt)
            locale = metadata["locale"]
            # Fail closed: a turn that could not be saved does not start (no action, no payment).
            apology = await store_apology(agent, self.name(), locale)
            if apology:
                await output.send_response(session_id, apology)
                return
            try:
                triaged = await triage_for(typed, agent, session_id)
                text, metadata = await redact(triaged, metadata, agent, session_id, self.billing_url)
                apology = await self.watch.apology_instead(agent, session_id, self.name(), locale)
            except Exception as error:  # the store failed after the check: still nothing ran
                log.error("a message was not processed: %s", type(error).__name__)
                apology = not_saved_apology(agent, self.name(), locale)
                if apology:
                    await output.send_response(session_id, apology)
                return
            await sio.emit(
                "user_uttered",
                {"text": shown_text(typed, triaged, text, metadata), "message_id": _message_id(data)},
                room=session_id,
            )
            if apology:
                await output.send_response(session_id, apology)
                return
            try:
                await on_new_message(
                    UserMessage(text, output, session_id, input_channel=self.name(), metadata=metadata)
                )
            except Exception as error:
                log.error("a turn failed for sender %s: %s", session_id, type(error).__name__)
                apology = failed_turn_apology(agent, self.name(), locale)
                if apology:
                    await output.send_response(session_id, apology)
                return
            if not output.sent:
                apology = await self.watch.apology_after(agent, session_id, self.name(), locale)
                if apology:
                    await output.send_response(session_id, apology)

        return webhook

    @staticmethod
    def _agent(webhook: SafeSocketBlueprint) -> Any:
        app = getattr(webhook.ctx, "app", None)
        return getattr(app.ctx, "agent", None) if app else None
