"""The scale-out settings (endpoints.scale.yml) on the PostgreSQL, Redis and RabbitMQ of this machine,
with a database and a queue of their own that the tests create and drop."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import aio_pika
import sqlalchemy as sa

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
AMQP = "amqp://guest:guest@127.0.0.1:5672/"


@contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards (its connections closed first)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
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


def scale_settings(tracker_database: str, queue: str) -> dict[str, str]:
    """What a Rasa replica of the production profile gets, on this test's database and queue."""
    return {
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


def new_queue_name() -> str:
    return f"rasa_events_{uuid.uuid4().hex[:12]}"


async def _drain(queue_name: str, delete: bool) -> list[str]:
    connection = await aio_pika.connect_robust(AMQP)
    bodies: list[str] = []
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, durable=True, passive=True)
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            bodies.append(message.body.decode())
        if delete:
            await queue.delete(if_unused=False, if_empty=False)
    return bodies


def drain_queue(queue_name: str, delete: bool = True) -> list[str]:
    """Every message published on the queue so far; then the queue is deleted, unless told not to."""
    return asyncio.run(_drain(queue_name, delete))


def stored_events(tracker_database: str) -> dict[str, list[tuple[int, str, float, str]]]:
    """Each conversation's rows of the tracker store, in id order: (id, type, timestamp, data)."""
    engine = sa.create_engine(f"postgresql://postgres@127.0.0.1:5432/{tracker_database}")
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT sender_id, id, type_name, timestamp, data FROM events ORDER BY id")
            ).all()
    finally:
        engine.dispose()
    events: dict[str, list[tuple[int, str, float, str]]] = {}
    for sender, event_id, type_name, timestamp, data in rows:
        events.setdefault(sender, []).append((event_id, type_name, timestamp, data))
    return events
