"""Fuzzing both channels of the running Rasa (hypothesis): whatever a client sends, the REST webhook
answers a JSON 2xx/4xx (never a 5xx), the socket.io channel never drops the server, and the stack
still answers a real user afterwards with nothing new in Rasa's log but refusals."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.socket_client import SocketClient

FUZZ = settings(
    deadline=None,
    database=None,  # nothing written into the project
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,  # the same examples every run: a failure reproduces
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
texts = st.text(max_size=300) | st.sampled_from(["", " ", "\n", "/", "/restart", "yes", "oui", "4" * 40])
senders = st.text(max_size=140) | st.sampled_from(["", "a" * 129, "../etc", "default", "x:y@z"])
STATUS_SEEN: dict[int, int] = {}


def _post(url: str, **kwargs: Any) -> httpx.Response:
    response = httpx.post(url, timeout=60, **kwargs)
    STATUS_SEEN[response.status_code] = STATUS_SEEN.get(response.status_code, 0) + 1
    assert response.status_code < 500, (kwargs, response.text)
    json.loads(response.text)  # always a JSON body
    return response


def test_rest_never_answers_5xx(stack, talk) -> None:
    url = stack["rasa"].url + "/webhooks/rest/webhook"
    alice = talk("alice@contoso.com")
    log_before = len(stack["rasa"].log_text())

    @settings(FUZZ, max_examples=250)
    @given(body=json_values)
    def any_json(body: Any) -> None:
        _post(url, json=body)

    @settings(FUZZ, max_examples=150)
    @given(sender=senders, message=texts | json_values, metadata=json_values)
    def shaped(sender: Any, message: Any, metadata: Any) -> None:
        _post(url, json={"sender": sender, "message": message, "metadata": metadata})

    @settings(FUZZ, max_examples=60)
    @given(message=texts, extra=st.dictionaries(st.text(max_size=10), json_values, max_size=3))
    def signed(message: str, extra: dict[str, Any]) -> None:
        # Alice's own conversation, her valid token: every one of these reaches Rasa.
        metadata = {**extra, "token": alice.token}
        _post(url, json={"sender": alice.sender, "message": message, "metadata": metadata})

    @settings(FUZZ, max_examples=80)
    @given(raw=st.binary(max_size=200))
    def raw_bytes(raw: bytes) -> None:
        _post(url, content=raw, headers={"content-type": "application/json"})

    for fuzz in (any_json, shaped, signed, raw_bytes):
        fuzz()
    print(f"\nREST fuzz: statuses seen {dict(sorted(STATUS_SEEN.items()))}")
    # The fuzzed conversation still answers, unless the fuzz asked for a person (then it is paused
    # for an agent, and the user reads the waiting message the widget shows).
    replies = alice.say("I need to pay my balance")
    tracker = alice.tracker()
    last = [e.get("name") or e.get("text") for e in tracker["events"][-12:]]
    assert replies or tracker["paused"], last
    print(f"fuzzed conversation: {'paused for an agent' if tracker['paused'] else 'answers'}; {last}")
    fresh = talk("alice@contoso.com")
    assert "€151.20" in fresh.texts(fresh.say("I need to pay my balance"))
    added = stack["rasa"].log_text()[log_before:]
    assert "Traceback" not in added, added[-3000:]


def test_socketio_survives_any_event(stack, talk) -> None:
    alice = talk("alice@contoso.com")
    url = stack["rasa"].url
    log_before = len(stack["rasa"].log_text())
    loop = asyncio.new_event_loop()
    client = SocketClient()
    replies: list[dict[str, Any]] = []
    confirmed: list[str] = []
    client.on("bot_uttered", lambda message: replies.append(message))
    client.on("session_confirm", lambda session_id: confirmed.append(session_id))
    loop.run_until_complete(
        client.connect(url, transports=["polling"], auth={"token": alice.token}, wait_timeout=10)
    )
    sent = 0
    try:

        @settings(FUZZ, max_examples=150)
        @given(
            event=st.sampled_from(["session_request", "user_uttered", "unknown_event"]),
            data=json_values
            | st.fixed_dictionaries({"session_id": st.text(max_size=70)})
            | st.fixed_dictionaries(
                {"message": texts, "session_id": st.text(max_size=70), "metadata": json_values}
            ),
        )
        def events(event: str, data: Any) -> None:
            nonlocal sent
            loop.run_until_complete(client.emit(event, data))
            sent += 1

        events()
        loop.run_until_complete(asyncio.sleep(2))
        assert client.connected, "the server dropped the socket"
        # The socket still works: a fresh conversation of Alice's answers her.
        confirmed.clear()
        loop.run_until_complete(client.emit("session_request", {"session_id": None}))
        loop.run_until_complete(asyncio.sleep(1))
        assert confirmed, "no session confirmed after the fuzz"
        replies.clear()
        loop.run_until_complete(
            client.emit("user_uttered", {"message": "hello", "session_id": confirmed[-1], "metadata": {}})
        )
        for _ in range(40):
            if replies:
                break
            loop.run_until_complete(asyncio.sleep(0.25))
        assert replies, "no reply after the fuzz"
    finally:
        loop.run_until_complete(client.disconnect())
        loop.close()
    print(f"\nsocket.io fuzz: {sent} events sent, the socket stayed up and answered afterwards")
    assert httpx.get(url + "/", timeout=10).status_code == 200
    added = stack["rasa"].log_text()[log_before:]
    assert "Traceback" not in added, added[-3000:]
