"""A conversation belongs to its user: every message is authorized by its own token.

Bob's conversation reaches "Pay €40.00 … ?"; then every way of answering "yes" that is not Bob's own
token on Bob's conversation is refused, over REST, socket.io and the history API, with 0 charges,
0 new events in his tracker and no reply content. The matrix is printed."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
import jwt
import pytest
import socketio

from tests.support.socket_client import SocketClient
from tests.support.stack import TEST_SECRET

EXCHANGE = "sub_contoso_exchange_plan1"
CHOOSE_EXCHANGE = '/choose_subscription{"subscription": "Exchange Online (Plan 1)"}'


def claims(user: str, tenant: str, **extra: Any) -> dict[str, Any]:
    return {
        "sub": user,
        "tid": tenant,
        "roles": ["billing_admin"],
        "iss": "m365-portal",
        "aud": "m365-billing",
        "exp": int(time.time()) + 600,
        **extra,
    }


@pytest.fixture
def bob_about_to_pay(talk) -> Any:
    bob = talk("bob@contoso.com")
    bob.say("I need to pay my balance")
    bob.say(CHOOSE_EXCHANGE)
    replies = bob.say("/retry_card")
    assert "Pay €40.00" in bob.texts(replies)
    return bob


def tokens(talk) -> dict[str, str | None]:
    return {
        "no token": None,
        "another user's token": talk("alice@contoso.com").token,
        "other tenant": talk("dave@fabrikam.com").token,
        "expired": jwt.encode(claims("bob@contoso.com", "contoso", exp=1), TEST_SECRET, algorithm="HS256"),
        "forged": jwt.encode(claims("bob@contoso.com", "contoso"), "not-the-secret-" * 3, algorithm="HS256"),
    }


def charges(bob) -> int:
    listed = bob.billing(f"/v1/subscriptions/{EXCHANGE}/charges")
    return len([c for c in listed if c["outcome"] == "succeeded"])


def test_rest_refuses_every_message_that_is_not_the_owners(stack, talk, bob_about_to_pay) -> None:
    bob = bob_about_to_pay
    url = stack["rasa"].url + "/webhooks/rest/webhook"
    events_before = len(bob.tracker()["events"])
    cases: dict[str, tuple[dict[str, Any], int]] = {}
    for name, token in tokens(talk).items():
        metadata = {"token": token} if token else {}
        cases[name] = ({"sender": bob.sender, "message": "yes", "metadata": metadata}, 403 if name in (
            "another user's token", "other tenant") else 401)
    cases["missing sender"] = ({"message": "yes", "metadata": {"token": bob.token}}, 400)
    cases["sender over 128 characters"] = ({"sender": bob.sender + "x" * 200, "message": "yes",
                                            "metadata": {"token": bob.token}}, 400)
    rows = []
    for name, (body, status) in cases.items():
        response = httpx.post(url, json=body, timeout=30)
        rows.append((name, response.status_code, response.json()["error"]["code"]))
        assert response.status_code == status, (name, response.text)
        assert "Pay" not in response.text and "RCPT" not in response.text
    print("\nREST × case              | status | code")
    for name, status, code in rows:
        print(f"{name:<28} | {status}    | {code}")
    assert len(bob.tracker()["events"]) == events_before
    assert charges(bob) == 0
    assert "Done!" in bob.texts(bob.say("yes"))  # the owner still can
    assert charges(bob) == 1


async def _socket_attempt(url: str, token: str | None, session_id: str) -> dict[str, Any]:
    """Connect, ask for `session_id`, say "yes" into it; what came back."""
    client = SocketClient()
    seen: dict[str, Any] = {"confirmed": None, "replies": [], "refused": False, "connected": False}
    confirmed = asyncio.Event()

    @client.on("session_confirm")
    async def on_confirm(sid: Any) -> None:
        seen["confirmed"] = sid
        confirmed.set()

    @client.on("bot_uttered")
    async def on_reply(message: dict[str, Any]) -> None:
        seen["replies"].append(message)

    @client.on("session_refused")
    async def on_refused(_: Any) -> None:
        seen["refused"] = True

    try:
        await client.connect(url, transports=["polling"], auth={"token": token} if token else None,
                             wait_timeout=10)
    except socketio.exceptions.ConnectionError:
        return seen
    seen["connected"] = True
    try:
        await client.emit("session_request", {"session_id": session_id})
        await asyncio.wait_for(confirmed.wait(), 10)
        await client.emit("user_uttered", {"message": "yes", "session_id": session_id, "metadata": {}})
        await asyncio.sleep(3)
    finally:
        await client.disconnect()
    return seen


async def test_socketio_never_joins_or_writes_into_someone_elses_conversation(
    stack, talk, bob_about_to_pay
) -> None:
    bob = bob_about_to_pay
    events_before = len(bob.tracker()["events"])
    print("\nsocket.io × case          | connected | joined Bob's | replies")
    for name, token in tokens(talk).items():
        seen = await _socket_attempt(stack["rasa"].url, token, bob.sender)
        joined = seen["confirmed"] == bob.sender
        print(f"{name:<28} | {seen['connected']!s:<9} | {joined!s:<12} | {len(seen['replies'])}")
        assert not joined and seen["replies"] == []
        if seen["connected"]:
            assert seen["refused"], name
    assert len(bob.tracker()["events"]) == events_before
    assert charges(bob) == 0


def test_the_history_api_shows_a_conversation_to_its_owner_only(stack, talk, bob_about_to_pay) -> None:
    bob = bob_about_to_pay
    history = stack["web"].url + "/api/history"
    print("\nhistory API × case        | status")
    for name, token in tokens(talk).items():
        cookies = {"portal_session": token} if token else {}
        response = httpx.get(history, params={"session_id": bob.sender}, cookies=cookies, timeout=10)
        print(f"{name:<28} | {response.status_code}")
        assert response.status_code in (401, 404), name
        assert "Pay" not in response.text
    mine = httpx.get(history, params={"session_id": bob.sender}, cookies={"portal_session": bob.token})
    assert mine.status_code == 200 and "Pay €40.00" in mine.text
    unknown = httpx.get(
        history, params={"session_id": uuid.uuid4().hex}, cookies={"portal_session": bob.token}
    )
    assert unknown.status_code == 200 and unknown.json()["messages"] == []


def test_a_client_cannot_claim_to_be_someone_else_in_metadata(stack, talk) -> None:
    alice = talk("alice@contoso.com")
    response = httpx.post(
        stack["rasa"].url + "/webhooks/rest/webhook",
        json={
            "sender": alice.sender,
            "message": "hello",
            "metadata": {
                "token": alice.token,
                "user": "bob@contoso.com",
                "vault": {"card_number_token": "v"},
            },
        },
        timeout=30,
    )
    assert response.status_code == 200
    [first] = [e for e in alice.tracker()["events"] if e["event"] == "user"]
    assert first["metadata"]["user"] == "alice@contoso.com" and "vault" not in first["metadata"]


def test_malformed_bodies_get_a_clear_4xx_never_a_5xx(stack, talk) -> None:
    alice = talk("alice@contoso.com")
    url = stack["rasa"].url + "/webhooks/rest/webhook"
    good = {"sender": alice.sender, "message": "hello", "metadata": {"token": alice.token}}
    bodies: dict[str, tuple[Any, int]] = {
        "an array": (["hello"], 400),
        "an empty object": ({}, 400),
        "a number as message": ({**good, "message": 42}, 400),
        "metadata as a string": ({**good, "metadata": "token"}, 400),
        "metadata over 4 KB": ({**good, "metadata": {"token": alice.token, "pad": "x" * 5000}}, 413),
        "sender as a list": ({**good, "sender": [alice.sender]}, 400),
        "sender with a slash": ({**good, "sender": "a/b"}, 400),
    }
    print("\nbody                      | status")
    for name, (body, status) in bodies.items():
        response = httpx.post(url, json=body, timeout=30)
        print(f"{name:<26}| {response.status_code}")
        assert response.status_code == status, (name, response.text)
    lone_surrogate = (
        f'{{"sender": "{alice.sender}", "message": "pay \\ud800", "metadata": {{"token": "{alice.token}"}}}}'
    )
    for raw in (b"{not json", b'"\\ud800"', b"", lone_surrogate.encode()):
        response = httpx.post(url, content=raw, headers={"content-type": "application/json"}, timeout=30)
        print(f"{raw[:20]!r:<26}| {response.status_code}")
        assert 400 <= response.status_code < 500, (raw, response.text)
    assert httpx.post(url, json=good, timeout=30).status_code == 200
