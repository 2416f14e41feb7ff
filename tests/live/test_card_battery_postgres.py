"""The card battery against Rasa on the scale-out endpoints (endpoints.scale.yml): a PostgreSQL tracker
store, the Redis lock store and a RabbitMQ event broker. Every row of the tracker store and every
message the broker published is scanned: 0 card numbers, 0 user tokens (printed)."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import aio_pika
import httpx
import pytest
import sqlalchemy as sa

from tests.live.conftest import MODEL
from tests.live.test_card_battery import FORMS, SPLITS, raw_numbers
from tests.live.test_conversations import CHOOSE_EXCHANGE
from tests.support.stack import mint_token, rasa_server

pytestmark = pytest.mark.postgres
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
AMQP = "amqp://guest:guest@127.0.0.1:5672/"
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")


@pytest.fixture
def tracker_database() -> Iterator[str]:
    name = f"tracker_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield name
    finally:
        with admin.connect() as connection:
            connection.execute(
                sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


async def _drain(queue_name: str) -> list[str]:
    """Every message published on the queue (then the queue is deleted)."""
    connection = await aio_pika.connect_robust(AMQP)
    bodies: list[str] = []
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, durable=True, passive=True)
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            bodies.append(message.body.decode())
        await queue.delete(if_unused=False, if_empty=False)
    return bodies


def test_postgres_store_and_broker_hold_no_card_number_and_no_token(
    stack, tracker_database: str, tmp_path: Path
) -> None:
    queue = f"rasa_events_{uuid.uuid4().hex[:12]}"
    settings = {
        "RASA_ENDPOINTS": "endpoints.scale.yml",
        "TRACKER_DB_HOST": "127.0.0.1",
        "TRACKER_DB": tracker_database,
        "TRACKER_DB_USER": "postgres",
        "TRACKER_DB_PASSWORD": "",
        "REDIS_HOST": "127.0.0.1",
        "RABBITMQ_HOST": "127.0.0.1",
        "RABBITMQ_USER": "guest",
        "RABBITMQ_PASSWORD": "guest",
        "RABBITMQ_QUEUE": queue,
    }
    token = mint_token(stack["database_url"], "bob@contoso.com")
    with rasa_server(tmp_path, MODEL, stack["actions"].url, stack["billing"].url, **settings) as rasa:

        def say(sender: str, text: str) -> list[dict]:
            body = {"sender": sender, "message": text, "metadata": {"token": token}}
            response = httpx.post(rasa.url + "/webhooks/rest/webhook", json=body, timeout=60)
            assert response.status_code == 200, response.text
            return list(response.json())

        outside = f"pg-{uuid.uuid4().hex[:12]}"
        for _, text, _ in FORMS:
            assert raw_numbers(json.dumps(say(outside, text))) == 0
        for parts in [[FORMS[1][1]], [FORMS[20][1]], SPLITS[0][1]]:
            inside = f"pg-{uuid.uuid4().hex[:12]}"
            for text in ["pay my balance", CHOOSE_EXCHANGE, "add a new card", *parts]:
                replies = say(inside, text)
            assert "expiration date" in " ".join(r.get("text", "") for r in replies), replies
    engine = sa.create_engine(f"postgresql://postgres@127.0.0.1:5432/{tracker_database}")
    with engine.connect() as connection:
        rows = [data for (data,) in connection.execute(sa.text("SELECT data FROM events"))]
    engine.dispose()
    published = asyncio.run(_drain(queue))
    counts = {
        "PostgreSQL tracker store": (
            len(rows),
            sum(raw_numbers(r) for r in rows),
            sum(len(JWT.findall(r)) for r in rows),
        ),
        "RabbitMQ event broker": (
            len(published),
            sum(raw_numbers(b) for b in published),
            sum(len(JWT.findall(b)) for b in published),
        ),
    }
    print("\nstore                    | rows | raw card numbers | user tokens")
    for store, (count, numbers, tokens) in counts.items():
        print(f"{store:<25}| {count:4d} | {numbers:16d} | {tokens:11d}")
    assert len(rows) > len(FORMS) and len(published) > len(FORMS)
    assert all(numbers == 0 and tokens == 0 for _, numbers, tokens in counts.values()), counts
