"""The scale-out settings (endpoints.scale.yml) on the PostgreSQL, Redis and RabbitMQ of this machine,
with a database and a queue of their own that the tests create and drop."""

from __future__ import annotations

import asyncio
import importlib.util
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
# The Rasa environment has psycopg2 (Rasa's driver), the services' environment psycopg 3.
DRIVER = "postgresql" if importlib.util.find_spec("psycopg2") else "postgresql+psycopg"
PG = f"{DRIVER}://postgres@127.0.0.1:5432"
PG_ADMIN = f"{PG}/postgres"
AMQP = "amqp://guest:guest@127.0.0.1:5672/"
CREATE_TRACKER_TABLES = """
import sys
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
SQLTrackerStore(Domain.empty(), dialect="postgresql", host="127.0.0.1", db=sys.argv[1], username="postgres")
"""


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


def create_tracker_tables(database: str) -> None:
    """Rasa's tracker store tables, made once before several replicas start on the database together
    (each would otherwise try to create them)."""
    subprocess.run(
        [str(ROOT / ".venv-rasa" / "bin" / "python"), "-c", CREATE_TRACKER_TABLES, database],
        check=True, capture_output=True, cwd=ROOT,
    )


def scale_settings(tracker_database: str, queue: str) -> dict[str, str]:
    """What a Rasa replica of the production profile gets, on this test's database and queue (its
    exchange has the queue's name: no other Rasa on the machine publishes to it)."""
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
        "RABBITMQ_EXCHANGE": queue,
    }


def new_queue_name() -> str:
    return f"rasa_events_{uuid.uuid4().hex[:12]}"


async def _drain(queue_name: str, delete: bool) -> list[str]:
    import aio_pika  # in the Rasa environment only

    connection = await aio_pika.connect_robust(AMQP)
    bodies: list[str] = []
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, durable=True, passive=True)
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            bodies.append(message.body.decode())
        if delete:
            await queue.delete(if_unused=False, if_empty=False)
            await channel.exchange_delete(queue_name)  # scale_settings' exchange of the same name
    return bodies


def drain_queue(queue_name: str, delete: bool = True) -> list[str]:
    """Every message published on the queue so far; then the queue and its exchange are deleted, unless
    told not to."""
    return asyncio.run(_drain(queue_name, delete))


def stored_events(tracker_database: str) -> dict[str, list[tuple[int, str, float, str]]]:
    """Each conversation's rows of the tracker store, in id order: (id, type, timestamp, data)."""
    engine = sa.create_engine(f"{PG}/{tracker_database}")
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
