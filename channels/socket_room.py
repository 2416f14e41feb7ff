"""The socket.io channel's room and transport: what the widget receives in its conversation's room
(bot messages with their metadata), rooms shared across replicas through Redis, and engine.io payloads
it cannot decode answered with a 400 (channels/socketio.py is the channel itself)."""

from __future__ import annotations

import logging
from typing import Any, Optional

from rasa.core.channels.channel import OutputChannel
from rasa.core.channels.socketio import SocketBlueprint
from sanic import Sanic, response
from sanic.request import Request
from socketio import AsyncRedisManager, AsyncServer

log = logging.getLogger(__name__)
FORWARDED_METADATA = ("utter_action", "agent_name", "sender_role", "handoff", "language")


class WidgetOutput(OutputChannel):
    """Emits each bot message to the conversation's room, metadata included."""

    def __init__(self, sio: AsyncServer, bot_message_evt: str = "bot_uttered") -> None:
        self.sio = sio
        self.bot_message_evt = bot_message_evt
        self.sent = 0  # messages of this turn (one output channel per user message)

    @classmethod
    def name(cls) -> str:
        return "socketio"

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        payload: dict[str, Any] = {"text": message.get("text") or ""}
        buttons: list[dict[str, Any]] = message.get("buttons") or message.get("quick_replies") or []
        if buttons:
            payload["quick_replies"] = [
                {"content_type": "text", "title": b.get("title"), "payload": b.get("payload")}
                for b in buttons
            ]
        if message.get("custom"):
            payload["custom"] = message["custom"]
        payload["metadata"] = {key: message[key] for key in FORWARDED_METADATA if message.get(key)}
        await self.sio.emit(self.bot_message_evt, payload, room=recipient_id)
        self.sent += 1

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text, **kwargs})


class SafeSocketBlueprint(SocketBlueprint):
    """Keeps the Sanic app, whose agent tells which slot the conversation is asking for."""

    def register(self, app: Sanic, options: dict[str, Any]) -> None:
        self.ctx.app = app
        engine = self.ctx.sio.eio
        handle_request = engine.handle_request

        async def refuse_malformed(request: Request, *args: Any, **kwargs: Any) -> Any:
            """engine.io raises ValueError on a payload it cannot decode (e.g. over 16 packets in one
            poll): a 400 for the client, not a 500 and a traceback."""
            try:
                return await handle_request(request, *args, **kwargs)
            except ValueError:
                log.info("socket.io request refused: malformed engine.io payload")
                return response.json({"error": "malformed socket.io payload"}, status=400)

        engine.handle_request = refuse_malformed  # before attach, which binds the route to it
        super().register(app, options)


def shared_rooms(url: Optional[str]) -> dict[str, Any]:
    """With several replicas (SOCKETIO_REDIS_URL set), what one replica emits to a conversation's room
    reaches the socket another replica holds: an agent's message or typing, posted to any replica."""
    return {"client_manager": AsyncRedisManager(url, channel="settle-socketio")} if url else {}
