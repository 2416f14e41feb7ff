"""The handoff API: every legal and illegal transition, the atomic claim under concurrency, who may
call what (401/403), the audit log, the timeout, and what reaches Rasa.

The web app runs in-process on a throwaway database (SQLite, and PostgreSQL for the concurrent claim);
billing is the real service; Rasa, a separate process, is replaced by `FakeRasa`, which records the
calls the web service makes to Rasa's HTTP API and answers them as Rasa 3.6 does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from security import tokens
from tests.support.stack import TEST_SECRET
from tests.web.web_support import AGENT_PASSWORD, Clock, web_database, web_settings
from web import seed
from web.app import create_app, services
from web.clock import utcnow
from web.db import make_engine
from web.handoff.errors import HandoffError, WrongState
from web.handoff.feed import BrokerFeed, EventLog
from web.handoff.records import Requester
from web.rasa_client import RasaClient
from web.seed import DEMO_AGENTS
from web.services import Services

RASA_SECRET = "r" * 32
PASSWORD = AGENT_PASSWORD
ALICE = ("alice@contoso.com", "contoso", ["global_admin"])
BOB = ("bob@contoso.com", "contoso", ["billing_admin"])
PAN = "4242 4242 4242 4242"  # public test card number
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


class FakeRasa:
    """Rasa's HTTP API as the web service uses it: tracker reads, event appends, trigger_intent, the
    channel's typing relay. Requires the server-side JWT like `rasa run --jwt-secret`."""

    def __init__(self) -> None:
        self.events: dict[str, list[dict[str, Any]]] = {}
        self.calls: list[tuple[str, str, Any]] = []
        self.down = False

    def conversation(self, owner: str) -> str:
        conversation_id = uuid.uuid4().hex
        self.events[conversation_id] = [
            {
                "event": "user",
                "text": "I want to pay",
                "timestamp": 1.0,
                "metadata": {"user": owner},
                "parse_data": {"intent": {"name": "settle_balance"}},
            },
            {
                "event": "bot",
                "text": "Your card expired.",
                "timestamp": 2.0,
                "metadata": {"utter_action": "utter_payment_failed"},
            },
        ]
        return conversation_id

    def handler(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused")
        token = request.headers.get("authorization", "")[7:]
        try:
            jwt.decode(token, RASA_SECRET, algorithms=["HS256"])
        except jwt.PyJWTError:
            return httpx.Response(401, json={"message": "unauthorized"})
        body = json.loads(request.content) if request.content else None
        self.calls.append((request.method, request.url.path, body))
        match = re.fullmatch(
            r"/conversations/([^/]+)/(tracker|tracker/events|trigger_intent)", request.url.path
        )
        if request.url.path == "/webhooks/socketio/agent_typing":
            return httpx.Response(200, json={"ok": True})
        if not match:
            return httpx.Response(404, json={})
        conversation_id, what = match.groups()
        events = self.events.setdefault(conversation_id, [])
        if what == "tracker":
            return httpx.Response(200, json={"sender_id": conversation_id, "events": events})
        if what == "tracker/events":
            events.extend(body)
            return httpx.Response(200, json={"sender_id": conversation_id, "events": events})
        events.append({"event": "user", "text": f"/{body['name']}", "timestamp": 9e9})
        return httpx.Response(200, json={"tracker": {"events": events}, "messages": []})

    def sent(self, kind: str) -> list[Any]:
        return [body for method, path, body in self.calls if method == "POST" and path.endswith(kind)]


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def database(tmp_path: Path) -> str:
    return web_database(tmp_path / "web.db")


def portal_app(
    billing: str, database: str, rasa: FakeRasa, clock: Clock, feed: BrokerFeed | None = None
) -> FastAPI:
    """The web app in-process on `database`, talking to `rasa` (and reading `feed` when given)."""
    settings = web_settings(
        WEB_DATABASE_URL=database,
        BILLING_URL=billing,
        RASA_URL="http://rasa.test",
        RASA_JWT_SECRET=RASA_SECRET,
        HANDOFF_TIMEOUT_SECONDS=120,
    )
    gateway = RasaClient("http://rasa.test", RASA_SECRET, transport=httpx.MockTransport(rasa.handler))
    return create_app(settings, clock=clock, rasa=gateway, feed=feed)


@contextlib.asynccontextmanager
async def client_of(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as client:
        yield client


@pytest.fixture
def app(billing: str, database: str, rasa: FakeRasa, clock: Clock) -> FastAPI:
    return portal_app(billing, database, rasa, clock)


@pytest.fixture
def store(app: FastAPI) -> Services:
    """The app's handoff store (agents, queue, transitions) and the rest of its services."""
    return app.state.services  # type: ignore[no-any-return]


@pytest.fixture
async def web(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(app) as client:
        yield client


def user_token(who: tuple[str, str, list[str]]) -> str:
    return tokens.mint(TEST_SECRET, who[0], who[1], who[2])


async def agent_session(web: httpx.AsyncClient, email: str) -> dict[str, str]:
    response = await web.post("/console/signin", data={"email": email, "password": PASSWORD})
    assert response.status_code == 303, response.text
    return {"Cookie": f"console_session={response.cookies['console_session']}"}


async def ask(
    web: httpx.AsyncClient,
    conversation_id: str,
    who: Any = ALICE,
    reason: str = "asked_for_person",
    language: str = "fr",
) -> httpx.Response:
    return await web.post(
        "/api/handoffs",
        headers={"Authorization": f"Bearer {user_token(who)}"},
        json={"conversation_id": conversation_id, "reason": reason, "language": language},
    )


@pytest.fixture
async def agent1(web: httpx.AsyncClient) -> dict[str, str]:
    return await agent_session(web, "agent1@support.example")


@pytest.fixture
async def agent2(web: httpx.AsyncClient) -> dict[str, str]:
    return await agent_session(web, "agent2@support.example")


@pytest.fixture
async def waiting(web: httpx.AsyncClient, rasa: FakeRasa) -> dict[str, Any]:
    response = await ask(web, rasa.conversation(ALICE[0]))
    assert response.status_code == 201, response.text
    return dict(response.json())


# ------------------------------------------------------------------------------ who may call what

CONSOLE_CALLS = [
    ("GET", "/console/api/me", None),
    ("GET", "/console/api/queue", None),
    ("GET", "/console/api/queue/stream", None),
    ("GET", "/console/api/audit", None),
    ("GET", "/console/api/handoffs/1", None),
    ("GET", "/console/api/handoffs/1/stream", None),
    ("POST", "/console/api/handoffs/1/claim", None),
    ("POST", "/console/api/handoffs/1/messages", {"text": "hello"}),
    ("POST", "/console/api/handoffs/1/typing", {"typing": True}),
    ("POST", "/console/api/handoffs/1/handback", {"mode": "resume"}),
]


@pytest.mark.parametrize(("method", "path", "body"), CONSOLE_CALLS)
async def test_the_console_api_refuses_anonymous_callers(
    web: httpx.AsyncClient, waiting: Any, method: str, path: str, body: Any
) -> None:
    response = await web.request(method, path, json=body)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "signed_out"


@pytest.mark.parametrize(("method", "path", "body"), CONSOLE_CALLS)
async def test_the_console_api_refuses_portal_users(
    web: httpx.AsyncClient, waiting: Any, method: str, path: str, body: Any
) -> None:
    headers = {"Authorization": f"Bearer {user_token(ALICE)}"}
    response = await web.request(method, path, json=body, headers=headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "agent_role_required"


async def test_forged_and_expired_console_sessions_are_refused(web: httpx.AsyncClient) -> None:
    forged = jwt.encode(
        {"sub": "agent1@support.example", "exp": 9999999999, "iss": "m365-console", "aud": "m365-console"},
        "not-the-secret-" * 3,
        algorithm="HS256",
    )
    expired = jwt.encode(
        {"sub": "agent1@support.example", "exp": 1, "iss": "m365-console", "aud": "m365-console"},
        TEST_SECRET,
        algorithm="HS256",
    )
    for token, code in ((forged, "invalid_session"), (expired, "session_expired")):
        response = await web.get("/console/api/queue", headers={"Cookie": f"console_session={token}"})
        assert (response.status_code, response.json()["error"]["code"]) == (401, code)


async def test_the_console_page_sends_strangers_to_sign_in(web: httpx.AsyncClient) -> None:
    response = await web.get("/console")
    assert (response.status_code, response.headers["location"]) == (303, "/console/signin")


async def test_agents_sign_in_with_their_password_only(web: httpx.AsyncClient, store: Services) -> None:
    wrong = await web.post(
        "/console/signin", data={"email": "agent1@support.example", "password": "guess-guess"}
    )
    assert wrong.status_code == 401 and "console_session" not in wrong.cookies
    stranger = await web.post("/console/signin", data={"email": "alice@contoso.com", "password": PASSWORD})
    assert stranger.status_code == 401
    right = await web.post("/console/signin", data={"email": "Agent1@support.example ", "password": PASSWORD})
    assert right.status_code == 303
    cookie = right.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    page = await web.get(
        "/console", headers={"Cookie": f"console_session={right.cookies['console_session']}"}
    )
    assert page.status_code == 200 and "Agent One" in page.text
    assert [e.action for e in store.queue.audit()] == ["signed_in"]


async def test_the_assistant_asks_with_the_users_own_token(web: httpx.AsyncClient, rasa: FakeRasa) -> None:
    conversation_id = rasa.conversation(ALICE[0])
    anonymous = await web.post(
        "/api/handoffs", json={"conversation_id": conversation_id, "reason": "asked_for_person"}
    )
    assert anonymous.status_code == 401
    someone_else = await ask(web, conversation_id, who=BOB)
    assert (someone_else.status_code, someone_else.json()["error"]["code"]) == (404, "conversation_not_found")
    unknown = await ask(web, conversation_id, reason="bored")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (422, "unknown_reason")


async def test_the_widget_status_and_cancel_need_the_owners_cookie(
    web: httpx.AsyncClient, waiting: Any
) -> None:
    session_id = waiting["conversation_id"]
    assert (await web.get("/api/handoff", params={"session_id": session_id})).status_code == 401
    assert (await web.post("/api/handoff/cancel", json={"session_id": session_id})).status_code == 401
    bob = {"Cookie": f"portal_session={user_token(BOB)}"}
    assert (await web.get("/api/handoff", params={"session_id": session_id}, headers=bob)).json() == {
        "state": "bot"
    }
    refused = await web.post("/api/handoff/cancel", json={"session_id": session_id}, headers=bob)
    assert refused.status_code == 404
    alice = {"Cookie": f"portal_session={user_token(ALICE)}"}
    status = (await web.get("/api/handoff", params={"session_id": session_id}, headers=alice)).json()
    assert status["state"] == "requested" and status["estimated_wait_seconds"] >= 60


# ------------------------------------------------------------------------------ the state machine


async def test_bot_to_requested_queues_once_per_conversation(
    web: httpx.AsyncClient, rasa: FakeRasa, agent1: Any, waiting: Any
) -> None:
    again = await ask(web, waiting["conversation_id"])
    assert again.status_code == 200 and again.json()["id"] == waiting["id"]
    assert waiting["state"] == "requested" and waiting["position"] == 1
    second = await ask(web, rasa.conversation(BOB[0]), who=BOB, reason="payment_failures", language="en")
    assert second.status_code == 201 and second.json()["position"] == 2
    assert second.json()["estimated_wait_seconds"] > waiting["estimated_wait_seconds"]
    queue = (await web.get("/console/api/queue", headers=agent1)).json()
    assert [(h["user"], h["reason"]) for h in queue["waiting"]] == [
        ("alice@contoso.com", "asked_for_person"),
        ("bob@contoso.com", "payment_failures"),
    ]


async def test_requested_to_assigned_tells_the_user_who_joined(
    web: httpx.AsyncClient, rasa: FakeRasa, agent1: Any, waiting: Any
) -> None:
    claimed = await web.post(f"/console/api/handoffs/{waiting['id']}/claim", headers=agent1)
    assert claimed.status_code == 200
    assert (claimed.json()["state"], claimed.json()["agent"]) == ("assigned", "agent1@support.example")
    [joined] = rasa.sent("/tracker/events")
    assert joined[0]["event"] == "bot" and joined[0]["metadata"]["agent_name"] == "Agent One"
    assert "a rejoint la conversation" in joined[0]["text"]  # the user's language (fr)


async def test_a_claimed_conversation_cannot_be_claimed_again(
    web: httpx.AsyncClient, agent1: Any, agent2: Any, waiting: Any
) -> None:
    await web.post(f"/console/api/handoffs/{waiting['id']}/claim", headers=agent1)
    refused = await web.post(f"/console/api/handoffs/{waiting['id']}/claim", headers=agent2)
    assert refused.status_code == 409
    assert refused.json()["error"] == {"code": "already_claimed", "message": "Already claimed by Agent One."}


async def test_only_the_holder_talks_and_only_while_holding(
    web: httpx.AsyncClient, rasa: FakeRasa, store: Services, agent1: Any, agent2: Any, waiting: Any
) -> None:
    url = f"/console/api/handoffs/{waiting['id']}/messages"
    early = await web.post(url, json={"text": "hello"}, headers=agent1)
    assert (early.status_code, early.json()["error"]["code"]) == (409, "not_assigned")
    await web.post(f"/console/api/handoffs/{waiting['id']}/claim", headers=agent1)
    other = await web.post(url, json={"text": "hello"}, headers=agent2)
    assert (other.status_code, other.json()["error"]["code"]) == (403, "held_by_another_agent")
    typing = await web.post(
        f"/console/api/handoffs/{waiting['id']}/typing", json={"typing": True}, headers=agent2
    )
    assert typing.status_code == 403
    sent = await web.post(url, json={"text": "Bonjour Alice, je regarde votre facture."}, headers=agent1)
    assert sent.status_code == 200
    message = rasa.sent("/tracker/events")[-1][0]
    assert message == {
        "event": "bot",
        "text": "Bonjour Alice, je regarde votre facture.",
        "metadata": {
            "agent_name": "Agent One",
            "sender_role": "agent",
            "handoff": {"state": "assigned", "agent_name": "Agent One"},
        },
    }
    entry = store.queue.audit(waiting["id"])[-1]
    assert (entry.actor, entry.action, entry.detail) == (
        "agent1@support.example",
        "agent_message",
        {"text": "Bonjour Alice, je regarde votre facture."},
    )


@pytest.mark.parametrize(
    "text", [PAN, "4242-4242-4242-4242", "card 5555555555554444 please", "4242424242424241"]
)
async def test_an_agent_cannot_send_a_card_number(
    web: httpx.AsyncClient, rasa: FakeRasa, store: Services, agent1: Any, waiting: Any, text: str
) -> None:
    await web.post(f"/console/api/handoffs/{waiting['id']}/claim", headers=agent1)
    before = len(rasa.calls)
    refused = await web.post(
        f"/console/api/handoffs/{waiting['id']}/messages", json={"text": text}, headers=agent1
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "card_number_refused")
    assert len(rasa.calls) == before
    audit = repr(store.queue.audit())
    assert "4242" * 2 not in audit and "5555" * 2 not in audit


@pytest.mark.parametrize(("mode", "language"), [("resume", "fr"), ("restart", "en"), ("payment", "fr")])
async def test_assigned_to_bot_resumes_rasa_then_triggers_it(
    web: httpx.AsyncClient, rasa: FakeRasa, store: Services, agent1: Any, mode: str, language: str
) -> None:
    waiting = (await ask(web, rasa.conversation(ALICE[0]), language=language)).json()
    await web.post(f"/console/api/handoffs/{waiting['id']}/claim", headers=agent1)
    back = await web.post(
        f"/console/api/handoffs/{waiting['id']}/handback", json={"mode": mode}, headers=agent1
    )
    assert back.status_code == 200 and (back.json()["state"], back.json()["outcome"]) == ("returned", mode)
    assert rasa.sent("/tracker/events")[-1] == [{"event": "resume"}]
    assert rasa.sent("/trigger_intent") == [
        {"name": "handoff_returned", "entities": {"handoff_mode": mode, "language": language}}
    ]
    assert [e.action for e in store.queue.audit(waiting["id"])] == ["requested", "claimed", "handed_back"]
    again = await web.post(
        f"/console/api/handoffs/{waiting['id']}/handback", json={"mode": mode}, headers=agent1
    )
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_returned")


async def test_illegal_hand_backs_are_refused(
    web: httpx.AsyncClient, agent1: Any, agent2: Any, waiting: Any
) -> None:
    url = f"/console/api/handoffs/{waiting['id']}/handback"
    early = await web.post(url, json={"mode": "resume"}, headers=agent1)
    assert (early.status_code, early.json()["error"]["code"]) == (409, "not_assigned")
    await web.post(f"/console/api/handoffs/{waiting['id']}/claim", headers=agent1)
    other = await web.post(url, json={"mode": "resume"}, headers=agent2)
    assert (other.status_code, other.json()["error"]["code"]) == (403, "held_by_another_agent")
    bad = await web.post(url, json={"mode": "later"}, headers=agent1)
    assert bad.status_code == 422
    missing = await web.post("/console/api/handoffs/999/handback", json={"mode": "resume"}, headers=agent1)
    assert missing.status_code == 404


async def test_requested_to_bot_when_the_user_cancels(
    web: httpx.AsyncClient, rasa: FakeRasa, store: Services, agent1: Any, waiting: Any
) -> None:
    alice = {"Cookie": f"portal_session={user_token(ALICE)}"}
    cancelled = await web.post(
        "/api/handoff/cancel", json={"session_id": waiting["conversation_id"]}, headers=alice
    )
    assert cancelled.status_code == 200
    assert store.queue.get(waiting["id"]).outcome == "cancelled"
    assert rasa.sent("/trigger_intent")[-1]["entities"]["handoff_mode"] == "cancelled"
    late = await web.post(f"/console/api/handoffs/{waiting['id']}/claim", headers=agent1)
    assert (late.status_code, late.json()["error"]["code"]) == (409, "not_waiting")
    again = await web.post(
        "/api/handoff/cancel", json={"session_id": waiting["conversation_id"]}, headers=alice
    )
    assert again.status_code == 404


async def test_a_held_conversation_cannot_be_cancelled_by_the_user(
    web: httpx.AsyncClient, store: Services, agent1: Any, waiting: Any
) -> None:
    await web.post(f"/console/api/handoffs/{waiting['id']}/claim", headers=agent1)
    with pytest.raises(WrongState) as refused:
        store.transitions.cancel(waiting["id"], ALICE[0])
    assert refused.value.code == "agent_holds_it"


async def test_requested_to_bot_on_timeout_only_for_unclaimed_conversations(
    web: httpx.AsyncClient, rasa: FakeRasa, store: Services, clock: Clock, agent1: Any
) -> None:
    first = (await ask(web, rasa.conversation(ALICE[0]))).json()
    second = (await ask(web, rasa.conversation(BOB[0]), who=BOB)).json()
    await web.post(f"/console/api/handoffs/{second['id']}/claim", headers=agent1)
    monitor = store.monitor
    clock.now += timedelta(seconds=119)
    await monitor.tick()
    assert store.queue.get(first["id"]).state == "requested"
    clock.now += timedelta(seconds=2)
    await monitor.tick()
    returned = store.queue.get(first["id"])
    assert (returned.state, returned.outcome) == ("returned", "timeout")
    assert store.queue.get(second["id"]).state == "assigned"
    assert rasa.sent("/trigger_intent") == [
        {"name": "handoff_returned", "entities": {"handoff_mode": "timeout", "language": "fr"}}
    ]
    assert store.queue.audit(first["id"])[-1].actor == "system"
    assert [h.id for h in store.queue.queue().follow_up] == [first["id"]]


async def test_a_user_who_writes_cancel_while_waiting_stops_waiting(
    web: httpx.AsyncClient, rasa: FakeRasa, store: Services, waiting: Any
) -> None:
    monitor = store.monitor
    await monitor.tick()
    assert store.queue.get(waiting["id"]).state == "requested"
    rasa.events[waiting["conversation_id"]].append(
        {"event": "user", "text": "annuler", "timestamp": 9e9, "parse_data": {"intent": {"name": "cancel"}}}
    )
    await monitor.tick()
    assert store.queue.get(waiting["id"]).outcome == "cancelled"


async def test_when_rasa_is_down_the_agent_keeps_the_conversation(
    web: httpx.AsyncClient, rasa: FakeRasa, store: Services, agent1: Any, waiting: Any
) -> None:
    await web.post(f"/console/api/handoffs/{waiting['id']}/claim", headers=agent1)
    rasa.down = True
    back = await web.post(
        f"/console/api/handoffs/{waiting['id']}/handback", json={"mode": "resume"}, headers=agent1
    )
    assert (back.status_code, back.json()["error"]["code"]) == (503, "assistant_unavailable")
    assert store.queue.get(waiting["id"]).state == "assigned"
    assert store.queue.audit(waiting["id"])[-1].action == "hand_back_failed"


async def test_the_console_shows_context_and_a_masked_transcript(
    web: httpx.AsyncClient, rasa: FakeRasa, agent1: Any, waiting: Any
) -> None:
    rasa.events[waiting["conversation_id"]].append(
        {"event": "user", "text": f"my card is {PAN}", "timestamp": 3.0, "metadata": {"user": ALICE[0]}}
    )
    detail = (await web.get(f"/console/api/handoffs/{waiting['id']}", headers=agent1)).json()
    assert "4242 4242" not in json.dumps(detail)
    assert detail["transcript"][-1] == {
        "sender": "user",
        "text": "my card is •••• 4242",
        "at": "1970-01-01T00:00:03+00:00",
    }
    assert detail["tried"][0]["what"] == "payment declined"
    products = {s["product"]: s for s in detail["context"]["subscriptions"]}
    assert products and all(s["amount"]["currency"] == "EUR" for s in products.values())
    cards = [s["card"] for s in products.values() if s["card"]]
    assert cards and all(set(c) == {"brand", "last4", "expiry", "owned_by_user"} for c in cards)


# ------------------------------------------------------------------------------ audit and concurrency


async def test_the_audit_log_is_append_only(store: Services, waiting: Any) -> None:
    for statement in ("UPDATE handoff_audit SET actor = 'x'", "DELETE FROM handoff_audit"):
        with pytest.raises(DBAPIError), store.engine.begin() as conn:
            conn.execute(text(statement))
    assert [e.action for e in store.queue.audit()] == ["requested"]


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Services]:
    if request.param == "sqlite":
        yield _store(f"sqlite:///{tmp_path / 'claims.db'}")
        return
    name = f"handoff_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as unreachable:
        if __import__("os").environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL not reachable: {unreachable}")
    store = _store(f"postgresql://postgres@127.0.0.1:5432/{name}")
    try:
        yield store
    finally:
        store.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _store(url: str) -> Services:
    """The handoff store of a web service on `url`, migrated and seeded (the PostgreSQL case too)."""
    seed.prepare(url, PASSWORD)
    return services(web_settings(WEB_DATABASE_URL=url, HANDOFF_TIMEOUT_SECONDS=120), utcnow, None, None)


def test_simultaneous_claims_have_exactly_one_winner(any_store: Services) -> None:
    handoff, _ = any_store.transitions.request(
        "conv-claim-race", Requester(*ALICE[:2], ("global_admin",)), "asked_for_person", "fr"
    )
    agents = [any_store.agents.get(a.email) for a in DEMO_AGENTS]
    start = threading.Barrier(16)

    def claim(index: int) -> str:
        agent = agents[index % 2]
        assert agent is not None
        start.wait()
        try:
            return str(any_store.transitions.claim(handoff.id, agent).agent_email)
        except HandoffError as refused:
            return refused.code

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(claim, range(16)))
    winners = [r for r in results if r.endswith("@support.example")]
    assert len(winners) == 1 and results.count("already_claimed") == 15
    assert [e.action for e in any_store.queue.audit(handoff.id)] == ["requested", "claimed"]


def test_simultaneous_requests_open_one_handoff(any_store: Services) -> None:
    start = threading.Barrier(8)

    def request(_: int) -> int:
        start.wait()
        handoff, _created = any_store.transitions.request(
            "conv-request-race", Requester(*ALICE[:2], ("global_admin",)), "asked_for_person", "en"
        )
        return handoff.id

    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(request, range(8)))
    assert len(ids) == 1


async def test_two_agents_clicking_claim_at_once_over_http(
    web: httpx.AsyncClient, agent1: Any, agent2: Any, waiting: Any
) -> None:
    url = f"/console/api/handoffs/{waiting['id']}/claim"
    answers = await asyncio.gather(*(web.post(url, headers=h) for h in (agent1, agent2) * 5))
    assert sorted(a.status_code for a in answers) == [200] + [409] * 9


# ------------------------------------------------------------------------------ the user typing


async def test_the_agent_sees_the_user_typing_only_while_they_hold_it(
    web: httpx.AsyncClient, agent1: Any, waiting: Any
) -> None:
    session_id, handoff_id = waiting["conversation_id"], waiting["id"]
    alice = {"Cookie": f"portal_session={user_token(ALICE)}"}
    bob = {"Cookie": f"portal_session={user_token(BOB)}"}
    typing = {"session_id": session_id, "typing": True}
    assert (await web.post("/api/handoff/typing", json=typing)).status_code == 401
    not_yet = await web.post("/api/handoff/typing", json=typing, headers=alice)
    assert (not_yet.status_code, not_yet.json()["error"]["code"]) == (409, "no_agent")
    await web.post(f"/console/api/handoffs/{handoff_id}/claim", headers=agent1)
    detail = f"/console/api/handoffs/{handoff_id}"
    assert (await web.get(detail, headers=agent1)).json()["user_typing"] is False
    assert (await web.post("/api/handoff/typing", json=typing, headers=bob)).status_code == 409
    assert (await web.get(detail, headers=agent1)).json()["user_typing"] is False
    assert (await web.post("/api/handoff/typing", json=typing, headers=alice)).status_code == 200
    assert (await web.get(detail, headers=agent1)).json()["user_typing"] is True
    stopped = {"session_id": session_id, "typing": False}
    assert (await web.post("/api/handoff/typing", json=stopped, headers=alice)).status_code == 200
    assert (await web.get(detail, headers=agent1)).json()["user_typing"] is False


def test_a_typing_indicator_goes_out_by_itself() -> None:
    from web.handoff.typing import TypingBoard

    now = [100.0]
    board = TypingBoard(clock=lambda: now[0], ttl=5)
    board.set("c1", True)
    assert board.is_typing("c1") and not board.is_typing("c2")
    now[0] = 104.9
    assert board.is_typing("c1")
    now[0] = 105.0
    assert not board.is_typing("c1")


# ------------------------------------------------------------------------------ the broker feed


@pytest.fixture
async def broker_web(
    billing: str, database: str, rasa: FakeRasa, clock: Clock
) -> AsyncIterator[tuple[httpx.AsyncClient, EventLog, Services]]:
    """The web app with the production profile's feed: events come from the broker's copy in the web
    database (filled here as the consumer fills it; `tests/web/test_feed.py` runs the consumer)."""
    log = EventLog(make_engine(database))
    feed = BrokerFeed(log, "amqp://guest:guest@127.0.0.1:9/", "unused", "unused")
    app = portal_app(billing, database, rasa, clock, feed)
    async with client_of(app) as client:
        yield client, log, app.state.services


def delivered(log: EventLog, conversation_id: str, *events: dict[str, Any]) -> None:
    for event in events:
        log.add(json.dumps({"sender_id": conversation_id, **event}).encode())


def tracker_reads(rasa: FakeRasa) -> int:
    return sum(1 for method, path, _ in rasa.calls if method == "GET" and path.endswith("/tracker"))


async def test_with_the_broker_feed_the_console_reads_the_delivered_events_not_rasa(
    broker_web: tuple[httpx.AsyncClient, EventLog, Services], rasa: FakeRasa
) -> None:
    web, log, store = broker_web
    conversation = rasa.conversation(ALICE[0])
    asked = await ask(web, conversation)
    assert asked.status_code == 201, asked.text
    reads = tracker_reads(rasa)  # whose conversation it is: asked of Rasa itself, once
    assert reads == 1
    delivered(
        log,
        conversation,
        {"event": "user", "text": "I want to pay", "timestamp": 1.0, "metadata": {"user": ALICE[0]}},
        {"event": "bot", "text": "Your card expired.", "timestamp": 2.0},
        {"event": "user", "text": "a person please", "timestamp": 3.0, "metadata": {"user": ALICE[0]}},
    )
    agent = await agent_session(web, "agent1@support.example")
    detail = (await web.get(f"/console/api/handoffs/{asked.json()['id']}", headers=agent)).json()
    assert [m["text"] for m in detail["transcript"]] == [
        "I want to pay",
        "Your card expired.",
        "a person please",
    ]
    await store.monitor.tick()
    assert tracker_reads(rasa) == reads  # neither the console nor the monitor read Rasa's tracker
    rasa.down = True  # and the console still shows the conversation while Rasa does not answer
    detail = (await web.get(f"/console/api/handoffs/{asked.json()['id']}", headers=agent)).json()
    assert len(detail["transcript"]) == 3


async def test_with_the_broker_feed_a_cancel_delivered_stops_the_wait(
    broker_web: tuple[httpx.AsyncClient, EventLog, Services], rasa: FakeRasa
) -> None:
    web, log, store = broker_web
    conversation = rasa.conversation(ALICE[0])
    handoff = (await ask(web, conversation)).json()
    monitor = store.monitor
    await monitor.tick()
    assert store.queue.get(handoff["id"]).state == "requested"
    rasa.events[conversation].append(  # in Rasa's tracker only: not yet delivered, not seen
        {"event": "user", "text": "cancel", "timestamp": 9e9, "parse_data": {"intent": {"name": "cancel"}}}
    )
    await monitor.tick()
    assert store.queue.get(handoff["id"]).state == "requested"
    delivered(log, conversation, rasa.events[conversation][-1])
    await monitor.tick()
    assert store.queue.get(handoff["id"]).outcome == "cancelled"
    assert rasa.sent("/trigger_intent")[-1]["entities"]["handoff_mode"] == "cancelled"
