"""Two Rasa replicas on the scale-out endpoints (PostgreSQL tracker store, Redis lock store, RabbitMQ
broker): conversations whose messages alternate between them, and some sent to both at once, keep one
coherent tracker each; a replica killed mid-run leaves its conversations to the other, nothing lost;
the agent console, fed by the broker, sees every handoff and every event. Everything is checked in the
store and in what the broker published."""

from __future__ import annotations

import asyncio
import json
import signal
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.live.conftest import AGENT_PASSWORD, MODEL
from tests.live.test_card_battery_postgres import JWT
from tests.live.test_conversations import CHOOSE_EXCHANGE
from tests.live.test_handoff_live import Console
from tests.support.scale import (
    PG,
    create_tracker_tables,
    drain_queue,
    new_queue_name,
    postgres_database,
    scale_settings,
    stored_events,
)
from tests.support.stack import Service, action_server, free_port, mint_token, rasa_server, web_service

pytestmark = pytest.mark.postgres
CONVERSATIONS = 50
BEFORE = ["hello", "pay my balance", CHOOSE_EXCHANGE, "why is it late?"]
AT_ONCE = ["thanks", "can you say that again?"]  # sent together, one to each replica
AFTER = ["cancel"]
HANDOFFS = 6
COPIED = "SELECT conversation_id, count(*) FROM conversation_events GROUP BY conversation_id"
Stored = list[tuple[int, str, float, str]]


@pytest.fixture(scope="module")
def replicas(stack: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Two replicas on one tracker database and one exchange, their own action server, and a web
    service on PostgreSQL whose console reads the broker (its own queue on the exchange). The replicas'
    queue is left for the tests to read what was published."""
    workdir = tmp_path_factory.mktemp("replicas")
    with (
        postgres_database("replicas") as database,
        postgres_database("replicas_web") as web_database,
        ExitStack() as started,
    ):
        queue = new_queue_name()
        create_tracker_tables(database)  # before the two replicas start together
        web_port = free_port()
        actions = started.enter_context(
            action_server(workdir, stack["billing"].url, web_url=f"http://127.0.0.1:{web_port}")
        )
        managers = [
            rasa_server(
                tmp_path_factory.mktemp(f"replica-{n}"),
                MODEL,
                actions.url,
                stack["billing"].url,
                **scale_settings(database, queue),
            )
            for n in (1, 2)
        ]
        with ThreadPoolExecutor(2) as pool:
            services = list(pool.map(lambda manager: manager.__enter__(), managers))
        for manager in managers:
            started.push(manager)  # stopped (its __exit__) when the module's tests are done
        console_queue = f"{queue}_console"
        started.callback(drain_queue, console_queue)  # after the web service has stopped consuming it
        web = started.enter_context(
            web_service(
                workdir,
                web_port,
                stack["billing"].url,
                services[0].url,
                AGENT_PASSWORD,
                WEB_DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/{web_database}",
                **{**scale_settings(database, queue), "RABBITMQ_QUEUE": console_queue},
            )
        )
        yield {
            "services": services,
            "database": database,
            "queue": queue,
            "web": web,
            "web_database": web_database,
        }
        drain_queue(queue)  # and delete it, and the exchange


def _post(client: httpx.AsyncClient, service: Service, sender: str, token: str, text: str) -> Any:
    body = {"sender": sender, "message": text, "metadata": {"token": token}}
    return client.post(service.url + "/webhooks/rest/webhook", json=body, timeout=180)


async def _say(client: httpx.AsyncClient, service: Service, sender: str, token: str, text: str) -> list[Any]:
    response = await _post(client, service, sender, token, text)
    assert response.status_code == 200, response.text
    replies = list(response.json())
    assert replies, f"no answer to {text!r} from {service.url}"
    return replies


def user_texts(events: Stored) -> list[str]:
    return [json.loads(data).get("text") for _, kind, _, data in events if kind == "user"]


def assert_coherent(sender: str, events: Stored) -> None:
    """One session, timestamps in id order, and every turn whole: a user message, the actions that
    answered it, then action_listen, before the next user message."""
    kinds = [(kind, json.loads(data).get("name")) for _, kind, _, data in events]
    stamps = [stamp for _, _, stamp, _ in events]
    assert stamps == sorted(stamps), f"{sender}: events out of order"
    assert kinds.count(("action", "action_session_start")) == 1, f"{sender}: {kinds}"
    users = [i for i, (kind, _) in enumerate(kinds) if kind == "user"]
    for start, end in zip(users, [*users[1:], len(kinds)], strict=True):
        actions = [name for kind, name in kinds[start + 1 : end] if kind == "action"]
        assert actions and actions[-1] == "action_listen", f"{sender}: a turn not whole: {kinds[start:end]}"


def test_conversations_alternating_between_replicas_keep_one_coherent_tracker(stack, replicas) -> None:
    first, second = replicas["services"]
    token = mint_token(stack["database_url"], "bob@contoso.com")
    senders = [f"replica-{n}-{uuid.uuid4().hex[:10]}" for n in range(CONVERSATIONS)]

    said: dict[str, list[tuple[str, str, list[str]]]] = {sender: [] for sender in senders}

    async def say(client: httpx.AsyncClient, replica: Service, sender: str, text: str) -> None:
        replies = await _say(client, replica, sender, token, text)
        said[sender].append((replica.url, text, [str(reply.get("text")) for reply in replies]))

    async def conversation(client: httpx.AsyncClient, n: int, sender: str) -> None:
        order = [first, second] if n % 2 else [second, first]
        for i, text in enumerate(BEFORE):
            await say(client, order[i % 2], sender, text)
        together = zip(order, AT_ONCE, strict=True)
        await asyncio.gather(*(say(client, replica, sender, text) for replica, text in together))
        for text in AFTER:
            await say(client, order[1], sender, text)

    async def everyone() -> None:
        limits = httpx.Limits(max_connections=2 * CONVERSATIONS)
        async with httpx.AsyncClient(limits=limits) as client:
            await asyncio.gather(*(conversation(client, n, s) for n, s in enumerate(senders)))

    asyncio.run(everyone())
    stored = stored_events(replicas["database"])
    for sender in senders:
        texts = user_texts(stored[sender])
        # On failure, what each replica answered to each message (an apology shows which path dropped it).
        answers = f"{sender}: stored {texts}; answered {said[sender]}"
        assert texts[: len(BEFORE)] == BEFORE, answers
        assert sorted(texts[len(BEFORE) : -len(AFTER)]) == sorted(AT_ONCE), answers
        assert texts[-len(AFTER) :] == AFTER and len(texts) == len(BEFORE + AT_ONCE + AFTER), answers
        assert_coherent(sender, stored[sender])
    published = drain_queue(replicas["queue"], delete=False)
    assert not [body for body in published if JWT.search(body)], "a user token went through the broker"
    by_sender = Counter(json.loads(body).get("sender_id") for body in published)
    for sender in senders:  # the broker carried each stored event once, no more, no fewer
        assert by_sender[sender] == len(stored[sender]), (sender, by_sender[sender], len(stored[sender]))
    print(
        f"\n{CONVERSATIONS} conversations over 2 replicas: "
        f"{sum(len(user_texts(stored[s])) for s in senders)} messages, "
        f"{sum(len(stored[s]) for s in senders)} events stored, {len(published)} published, 0 incoherent"
    )


def web_rows(web_database: str, sql: str) -> list[Any]:
    engine = sa.create_engine(f"{PG}/{web_database}")
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.text(sql)).all())
    finally:
        engine.dispose()


def eventually(check: Callable[[], Any], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            check()
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def test_the_console_sees_every_handoff_through_the_broker(stack, replicas) -> None:
    first, second = replicas["services"]  # the web service talks to the first
    people = ["bob@contoso.com", "alice@contoso.com"]
    tokens = {person: mint_token(stack["database_url"], person) for person in people}
    senders = [f"console-{n}-{uuid.uuid4().hex[:10]}" for n in range(HANDOFFS)]

    async def conversation(client: httpx.AsyncClient, n: int, sender: str) -> None:
        token, one, other = tokens[people[n % 2]], *([first, second] if n % 2 else [second, first])
        await _say(client, one, sender, token, "hello")
        await _say(client, other, sender, token, "I want to talk to a person")
        paused = await _post(client, one, sender, token, "is anyone there?")
        assert (paused.status_code, paused.json()) == (200, [])  # nobody answers but the agent

    async def everyone() -> None:
        async with httpx.AsyncClient() as client:
            await asyncio.gather(*(conversation(client, n, s) for n, s in enumerate(senders)))

    asyncio.run(everyone())
    agent = Console({"web": replicas["web"]}, "agent1@support.example")
    handoffs = {h["conversation_id"]: h["id"] for h in agent.call("GET", "/queue").json()["waiting"]}
    assert set(senders) <= set(handoffs), handoffs

    def shown(sender: str) -> list[tuple[str, str]]:
        detail = agent.call("GET", f"/handoffs/{handoffs[sender]}").json()
        return [(message["sender"], message["text"]) for message in detail["transcript"]]

    def in_store(sender: str) -> list[tuple[str, str]]:
        events = stored_events(replicas["database"])[sender]
        return [(k, json.loads(d).get("text") or "") for _, k, _, d in events if k in ("user", "bot")]

    def every_transcript_whole() -> None:
        for sender in senders:
            assert shown(sender) == in_store(sender), sender
            assert shown(sender)[-1] == ("user", "is anyone there?")

    eventually(every_transcript_whole)
    # The console reads its own copy: with the replica it talks to frozen, every transcript still shows
    # at once (reading Rasa would wait for its timeout, then show nothing).
    first.process.send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        every_transcript_whole()
        frozen_seconds = time.monotonic() - started
    finally:
        first.process.send_signal(signal.SIGCONT)
    assert frozen_seconds < 5, frozen_seconds

    # A user who writes "cancel" while waiting stops waiting: the monitor saw it through the broker.
    leaving, helped = senders[0], senders[1]

    async def leave() -> None:
        async with httpx.AsyncClient() as client:
            assert (await _post(client, second, leaving, tokens[people[0]], "cancel")).status_code == 200

    asyncio.run(leave())

    def handed_back() -> None:
        handoff = agent.call("GET", f"/handoffs/{handoffs[leaving]}").json()["handoff"]
        assert (handoff["state"], handoff["outcome"]) == ("returned", "cancelled")
        assert in_store(leaving)[-1][0] == "bot"  # and the assistant spoke again

    eventually(handed_back)
    # What an agent says goes through Rasa, and comes back to the console through the broker.
    agent.call("POST", f"/handoffs/{handoffs[helped]}/claim").raise_for_status()
    agent.call(
        "POST", f"/handoffs/{handoffs[helped]}/messages", json={"text": "Hello, Agent One here."}
    ).raise_for_status()
    eventually(lambda: _assert_equal(shown(helped)[-1], ("agent", "Hello, Agent One here.")))

    # The console's copy is the store's, event for event, for every conversation of the module.
    def copy_complete() -> None:
        copied = dict(web_rows(replicas["web_database"], COPIED))
        stored = {sender: len(events) for sender, events in stored_events(replicas["database"]).items()}
        assert copied == stored

    eventually(copy_complete)
    bodies = [body for (body,) in web_rows(replicas["web_database"], "SELECT body FROM conversation_events")]
    assert not [body for body in bodies if JWT.search(body)], "a user token reached the console's copy"
    print(f"\n{HANDOFFS} handoffs seen through the broker; {len(bodies)} events copied, as stored")


def _assert_equal(actual: Any, expected: Any) -> None:
    assert actual == expected


def test_a_replica_killed_mid_run_leaves_its_conversations_to_the_other(stack, replicas) -> None:
    survivor, victim = replicas["services"]
    token = mint_token(stack["database_url"], "bob@contoso.com")
    senders = [f"failover-{n}-{uuid.uuid4().hex[:10]}" for n in range(20)]
    script = ["hello", "pay my balance", CHOOSE_EXCHANGE, "why is it late?", "cancel"]
    failed_over = 0

    async def say_with_failover(client: httpx.AsyncClient, target: Service, sender: str, text: str) -> None:
        nonlocal failed_over
        try:
            await _say(client, target, sender, token, text)
        except httpx.TransportError:  # what a load balancer does: the next replica
            failed_over += 1
            await _say(client, survivor, sender, token, text)

    async def step(client: httpx.AsyncClient, i: int) -> None:
        targets = [[survivor, victim][(i + n) % 2] for n in range(len(senders))]
        await asyncio.gather(
            *(say_with_failover(client, t, s, script[i]) for t, s in zip(targets, senders, strict=True))
        )

    async def run() -> None:
        async with httpx.AsyncClient() as client:
            for i in range(2):
                await step(client, i)
            victim.process.send_signal(signal.SIGKILL)
            victim.process.wait()
            for i in range(2, len(script)):
                await step(client, i)

    asyncio.run(run())
    assert victim.process.returncode == -signal.SIGKILL
    assert failed_over >= len(senders) * 3 // 2  # half the messages of three steps went to the dead one
    stored = stored_events(replicas["database"])
    for sender in senders:
        assert user_texts(stored[sender]) == script, f"{sender}: {user_texts(stored[sender])}"
        assert_coherent(sender, stored[sender])
