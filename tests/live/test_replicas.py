"""Two Rasa replicas on the scale-out endpoints (PostgreSQL tracker store, Redis lock store, RabbitMQ
broker): conversations whose messages alternate between them, and some sent to both at once, keep one
coherent tracker each; a replica killed mid-run leaves its conversations to the other, nothing lost.
Everything is checked in the store and in what the broker published."""

from __future__ import annotations

import asyncio
import json
import signal
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from tests.live.conftest import MODEL
from tests.live.test_card_battery_postgres import JWT
from tests.live.test_conversations import CHOOSE_EXCHANGE
from tests.support.scale import (
    create_tracker_tables,
    drain_queue,
    new_queue_name,
    postgres_database,
    scale_settings,
    stored_events,
)
from tests.support.stack import Service, mint_token, rasa_server

pytestmark = pytest.mark.postgres
CONVERSATIONS = 50
BEFORE = ["hello", "pay my balance", CHOOSE_EXCHANGE, "why is it late?"]
AT_ONCE = ["thanks", "can you say that again?"]  # sent together, one to each replica
AFTER = ["cancel"]
Stored = list[tuple[int, str, float, str]]


@pytest.fixture(scope="module")
def replicas(stack: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with postgres_database("replicas") as database, ExitStack() as started:
        queue = new_queue_name()
        create_tracker_tables(database)  # before the two replicas start together
        managers = [
            rasa_server(
                tmp_path_factory.mktemp(f"replica-{n}"), MODEL, stack["actions"].url, stack["billing"].url,
                **scale_settings(database, queue),
            )
            for n in (1, 2)
        ]
        with ThreadPoolExecutor(2) as pool:
            services = list(pool.map(lambda manager: manager.__enter__(), managers))
        for manager in managers:
            started.push(manager)  # stopped (its __exit__) when the module's tests are done
        yield {"services": services, "database": database, "queue": queue}
        drain_queue(queue)  # and delete it


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

    async def conversation(client: httpx.AsyncClient, n: int, sender: str) -> None:
        order = [first, second] if n % 2 else [second, first]
        for i, text in enumerate(BEFORE):
            await _say(client, order[i % 2], sender, token, text)
        together = zip(order, AT_ONCE, strict=True)
        await asyncio.gather(*(_say(client, replica, sender, token, text) for replica, text in together))
        for text in AFTER:
            await _say(client, order[1], sender, token, text)

    async def everyone() -> None:
        limits = httpx.Limits(max_connections=2 * CONVERSATIONS)
        async with httpx.AsyncClient(limits=limits) as client:
            await asyncio.gather(*(conversation(client, n, s) for n, s in enumerate(senders)))

    asyncio.run(everyone())
    stored = stored_events(replicas["database"])
    for sender in senders:
        texts = user_texts(stored[sender])
        assert texts[: len(BEFORE)] == BEFORE, f"{sender}: {texts}"
        assert sorted(texts[len(BEFORE) : -len(AFTER)]) == sorted(AT_ONCE), f"{sender}: {texts}"
        assert texts[-len(AFTER) :] == AFTER and len(texts) == len(BEFORE + AT_ONCE + AFTER), texts
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
