"""The widget's socket.io channel: replies reach a persistent session, tokens are required.

Stock Rasa 3.6.21 with `session_persistence: true` never awaits `enter_room`, so the socket never
joins its room and no reply arrives (docs/rasa_facts.md); our channel awaits it. Tests only start Rasa
from the Procfile with our credentials.yml, so the stock channel is no longer run here.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
import socketio

from tests.support.socket_client import SocketClient


async def exchange(url: str, token: str | None, text: str, locale: str = "en") -> list[dict[str, Any]]:
    """Connect like the widget, ask for a persistent session, send `text`, collect replies for 10 s."""
    client = SocketClient()
    replies: list[dict[str, Any]] = []
    confirmed = asyncio.Event()
    got_reply = asyncio.Event()
    session_id = uuid.uuid4().hex

    @client.on("session_confirm")
    async def on_confirm(_: Any) -> None:
        confirmed.set()

    @client.on("bot_uttered")
    async def on_reply(message: dict[str, Any]) -> None:
        replies.append(message)
        got_reply.set()

    await client.connect(
        url, transports=["polling"], auth={"token": token} if token else None, wait_timeout=10
    )
    try:
        await client.emit("session_request", {"session_id": session_id})
        await asyncio.wait_for(confirmed.wait(), 10)
        await client.emit(
            "user_uttered", {"message": text, "session_id": session_id, "metadata": {"locale": locale}}
        )
        try:
            await asyncio.wait_for(got_reply.wait(), 10)
            await asyncio.sleep(1)  # the rest of this turn's messages
        except asyncio.TimeoutError:
            pass
    finally:
        await client.disconnect()
    return replies


async def test_our_channel_answers_a_persistent_session(stack, talk):
    token = talk("alice@contoso.com").token
    replies = await exchange(stack["rasa"].url, token, "bonjour", locale="fr")
    assert replies, "no reply reached the persistent session"
    assert replies[0]["text"].startswith("Bonjour")
    assert replies[0]["metadata"]["utter_action"] == "utter_greet"
    assert replies[0]["quick_replies"][0]["title"] == "Régler mon solde"


@pytest.mark.parametrize("token", [None, "forged.token.value"])
async def test_a_socket_without_a_valid_token_is_refused(stack, token):
    with pytest.raises(socketio.exceptions.ConnectionError):
        await exchange(stack["rasa"].url, token, "hello")


async def test_a_card_number_typed_in_the_widget_never_reaches_the_tracker(stack, talk):
    convo = talk("bob@contoso.com")
    client_replies = await exchange(stack["rasa"].url, convo.token, "my card is 4242 4242 4242 4242")
    assert client_replies
    # Every text Rasa stored is in its tracker store files: none holds the digits, the mask is there.
    stored = b"".join(p.read_bytes() for p in stack["rasa"].log.parent.glob("tracker-*.db*"))
    assert "•••• 4242".encode() in stored or b"\\u2022\\u2022\\u2022\\u2022 4242" in stored
    assert b"4242424242424242" not in stored and b"4242 4242 4242 4242" not in stored
