"""Where the console and the handoff monitor read a conversation's events from.

- `RasaFeed` (the embedded default, no broker): Rasa's tracker over its HTTP API, at every look.
- `BrokerFeed` (the production profile): the events Rasa publishes on RabbitMQ, consumed into the web
  database (`conversation_events`) and read from there. The console's live streams and the monitor then
  never call Rasa to read: a look costs one indexed query, whichever replica served the conversation,
  and it still answers while Rasa is busy or restarting.

The consumer declares what Rasa declares (a fanout exchange, a durable queue bound to it), so either may
start first. A message is acknowledged once stored; a redelivered one is stored once (its digest is
unique); a malformed one is logged and dropped, never retried forever. Several web replicas share the
queue and the database.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
from typing import Any, Protocol

import aio_pika
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from web.db import make_read_sessionmaker, make_sessionmaker
from web.handoff.models import ConversationEvent
from web.rasa_client import RasaClient

log = logging.getLogger("web.handoff.feed")
MAX_BODY_BYTES = 1_000_000
MAX_CONVERSATION_ID = 255  # Rasa's own limit on a sender id in its SQL tracker store


class BadEvent(ValueError):
    """A broker message that is not a Rasa event of a conversation."""


class ConversationFeed(Protocol):
    async def events(self, conversation_id: str) -> list[dict[str, Any]]:
        """The conversation's events since its last restart, oldest first (as Rasa's tracker API)."""
        ...


def after_last_restart(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What Rasa's `GET /conversations/{id}/tracker` returns by default (`include_events=AFTER_RESTART`)."""
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "restart":
            return events[index + 1 :]
    return events


def parse(body: bytes) -> tuple[str, float, dict[str, Any]]:
    """(conversation id, timestamp, event) of a message Rasa published, or `BadEvent` saying why not."""
    if len(body) > MAX_BODY_BYTES:
        raise BadEvent(f"the message has {len(body)} bytes, more than {MAX_BODY_BYTES}")
    try:
        event = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadEvent(f"the message is not JSON ({error})") from None
    if not isinstance(event, dict):
        raise BadEvent(f"the message is a JSON {type(event).__name__}, not an event object")
    sender = event.get("sender_id")
    if not isinstance(sender, str) or not 0 < len(sender) <= MAX_CONVERSATION_ID:
        raise BadEvent(f"the event has no conversation id of 1 to {MAX_CONVERSATION_ID} characters")
    if not isinstance(event.get("event"), str):
        raise BadEvent("the event has no type")
    stamp = event.get("timestamp")
    if isinstance(stamp, bool) or not isinstance(stamp, (int, float)) or not math.isfinite(stamp):
        raise BadEvent("the event has no numeric timestamp")
    return sender, float(stamp), event


class EventLog:
    """The broker's events in the web database, per conversation."""

    def __init__(self, engine: Engine):
        self._write = make_sessionmaker(engine)
        self._read = make_read_sessionmaker(engine)

    def add(self, body: bytes) -> bool:
        """Stores the message; False when it was stored before (a redelivery). `BadEvent` if malformed."""
        sender, stamp, _event = parse(body)
        row = ConversationEvent(
            conversation_id=sender,
            digest=hashlib.sha256(body).hexdigest(),
            timestamp=stamp,
            body=body.decode(),
        )
        try:
            with self._write.begin() as session:
                session.add(row)
        except IntegrityError:
            return False
        return True

    def events(self, conversation_id: str) -> list[dict[str, Any]]:
        query = (
            select(ConversationEvent.body)
            .where(ConversationEvent.conversation_id == conversation_id)
            .order_by(ConversationEvent.timestamp, ConversationEvent.id)
        )
        with self._read() as session:
            bodies = session.scalars(query).all()
        events = []
        for body in bodies:
            event = json.loads(body)
            event.pop("sender_id", None)
            events.append(event)
        return after_last_restart(events)


class RasaFeed:
    """Reads Rasa's tracker at every look (raises `RasaUnavailable` when Rasa does not answer)."""

    def __init__(self, rasa: RasaClient):
        self.rasa = rasa

    async def events(self, conversation_id: str) -> list[dict[str, Any]]:
        return await self.rasa.events(conversation_id)


class BrokerFeed:
    """Consumes Rasa's events from RabbitMQ into an `EventLog` (`run`), and reads them from it."""

    def __init__(
        self, store: EventLog, url: str, queue: str, exchange: str, retry_seconds: float = 2.0
    ) -> None:
        self.store, self.url, self.queue, self.exchange = store, url, queue, exchange
        self.retry_seconds = retry_seconds
        self.consuming = asyncio.Event()  # set while the queue is being consumed

    async def events(self, conversation_id: str) -> list[dict[str, Any]]:
        return await run_in_threadpool(self.store.events, conversation_id)

    async def run(self) -> None:
        """Consumes until cancelled; reconnects (after `retry_seconds`) whenever the broker goes away."""
        while True:
            try:
                connection = await aio_pika.connect(self.url, timeout=10)
                async with connection:
                    channel = await connection.channel()
                    await channel.set_qos(prefetch_count=200)
                    # As Rasa's PikaEventBroker declares them, so that either can start first.
                    exchange = await channel.declare_exchange(self.exchange, aio_pika.ExchangeType.FANOUT)
                    queue = await channel.declare_queue(self.queue, durable=True)
                    await queue.bind(exchange, "")
                    self.consuming.set()
                    log.info("console feed: consuming %s on %s", self.queue, self.exchange)
                    async with queue.iterator() as messages:
                        async for message in messages:
                            await self._take(message)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the broker or the database went away: try again shortly
                log.warning("console feed: %s: %s; retrying", type(error).__name__, error)
            self.consuming.clear()
            await asyncio.sleep(self.retry_seconds)

    async def _take(self, message: Any) -> None:
        try:
            await run_in_threadpool(self.store.add, message.body)
        except BadEvent as bad:
            log.warning("console feed: dropped a message: %s", bad)
            await message.reject(requeue=False)
            return
        except SQLAlchemyError:
            await message.nack(requeue=True)  # kept for when the database is back
            raise
        await message.ack()
