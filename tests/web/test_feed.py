"""The console's broker feed: what it accepts from RabbitMQ, what it stores once, the order it reads
back in, and a real consumer on the RabbitMQ of this machine (its own exchange and queue, deleted
after)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aio_pika
import pytest

from tests.web.web_support import web_database
from web.app import create_app
from web.db import make_engine
from web.handoff.feed import (
    MAX_BODY_BYTES,
    BadEvent,
    BrokerFeed,
    EventLog,
    RasaFeed,
    after_last_restart,
    parse,
)
from web.settings import WebSettings

AMQP = "amqp://guest:guest@127.0.0.1:5672/"


def body(sender: str, kind: str, stamp: float, **fields: Any) -> bytes:
    """A message as Rasa's tracker store publishes it: the sender id, then the event's own fields."""
    return json.dumps({"sender_id": sender, "event": kind, "timestamp": stamp, **fields}).encode()


@pytest.fixture
def log(tmp_path: Path) -> EventLog:
    return EventLog(make_engine(web_database(tmp_path / "web.db")))


@pytest.mark.parametrize(
    ("message", "why"),
    [
        (b"\xff\xfe", "not JSON"),
        (b"{not json", "not JSON"),
        (b"[1, 2]", "a JSON list, not an event object"),
        (b'"user"', "a JSON str, not an event object"),
        (json.dumps({"event": "user", "timestamp": 1}).encode(), "no conversation id"),
        (json.dumps({"sender_id": "", "event": "user", "timestamp": 1}).encode(), "no conversation id"),
        (json.dumps({"sender_id": 7, "event": "user", "timestamp": 1}).encode(), "no conversation id"),
        (body("x" * 256, "user", 1.0), "no conversation id of 1 to 255"),
        (json.dumps({"sender_id": "c", "timestamp": 1}).encode(), "no type"),
        (json.dumps({"sender_id": "c", "event": "user"}).encode(), "no numeric timestamp"),
        (json.dumps({"sender_id": "c", "event": "user", "timestamp": "1"}).encode(), "no numeric timestamp"),
        (json.dumps({"sender_id": "c", "event": "user", "timestamp": True}).encode(), "no numeric timestamp"),
        (b'{"sender_id": "c", "event": "user", "timestamp": NaN}', "no numeric timestamp"),
        (body("c", "user", 1.0, text="x" * MAX_BODY_BYTES), f"more than {MAX_BODY_BYTES}"),
    ],
)
def test_a_message_that_is_not_a_rasa_event_is_refused_saying_why(
    log: EventLog, message: bytes, why: str
) -> None:
    with pytest.raises(BadEvent, match=why):
        log.add(message)
    with pytest.raises(BadEvent):
        parse(message)


def test_events_come_back_per_conversation_in_time_order_each_stored_once(log: EventLog) -> None:
    # Two web replicas share the queue: the events of one turn may be stored out of order.
    assert log.add(body("a", "bot", 2.0, text="second"))
    assert log.add(body("b", "user", 1.5, text="someone else's"))
    assert log.add(body("a", "user", 1.0, text="first"))
    assert not log.add(body("a", "bot", 2.0, text="second"))  # redelivered: stored once
    assert log.events("a") == [
        {"event": "user", "timestamp": 1.0, "text": "first"},
        {"event": "bot", "timestamp": 2.0, "text": "second"},
    ]
    assert [e["text"] for e in log.events("b")] == ["someone else's"]
    assert log.events("nobody") == []


def test_only_events_after_the_last_restart_as_rasa_s_tracker_api_returns_them(log: EventLog) -> None:
    for n, kind in enumerate(["user", "restart", "user", "restart", "bot", "user"]):
        log.add(body("a", kind, float(n), n=n))
    assert [e["n"] for e in log.events("a")] == [4, 5]
    assert after_last_restart([{"event": "user"}]) == [{"event": "user"}]
    assert after_last_restart([{"event": "restart"}]) == []


# ------------------------------------------------------------------------------ a real consumer


@pytest.fixture
async def broker() -> AsyncIterator[tuple[str, str]]:
    """A fresh exchange and queue name; both deleted afterwards."""
    exchange, queue = f"test_feed_{uuid.uuid4().hex[:10]}", f"test_feed_{uuid.uuid4().hex[:10]}"
    yield exchange, queue
    connection = await aio_pika.connect(AMQP)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(queue)
        await channel.exchange_delete(exchange)


async def publish(exchange_name: str, *messages: bytes) -> None:
    """As Rasa's PikaEventBroker publishes: to a fanout exchange, declared the same way."""
    connection = await aio_pika.connect(AMQP)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(exchange_name, aio_pika.ExchangeType.FANOUT)
        for message in messages:
            await exchange.publish(aio_pika.Message(message), "")


async def until(condition: Any, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("not reached in time")


@pytest.mark.rabbitmq
async def test_the_consumer_stores_what_rasa_publishes_and_drops_what_is_malformed(
    log: EventLog, broker: tuple[str, str]
) -> None:
    exchange, queue = broker
    feed = BrokerFeed(log, AMQP, queue, exchange, retry_seconds=0.1)
    consumer = asyncio.create_task(feed.run())
    try:
        await asyncio.wait_for(feed.consuming.wait(), 10)
        await publish(
            exchange,
            body("c1", "user", 1.0, text="hello"),
            b"not an event",  # dropped, and what follows still arrives
            body("c1", "bot", 2.0, text="Hello! How can I help?"),
            body("c1", "bot", 2.0, text="Hello! How can I help?"),  # published twice: stored once
            body("c2", "user", 1.5, text="bonjour"),
        )
        await until(lambda: len(log.events("c1")) == 2 and len(log.events("c2")) == 1)
        assert [e["text"] for e in await feed.events("c1")] == ["hello", "Hello! How can I help?"]
    finally:
        consumer.cancel()
    # Nothing was left on the queue to be delivered again: every message was acknowledged or rejected.
    connection = await aio_pika.connect(AMQP)
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, durable=True, passive=True)
        assert declared.declaration_result.message_count == 0


@pytest.mark.rabbitmq
async def test_what_rasa_published_before_the_console_started_is_not_lost(
    log: EventLog, broker: tuple[str, str]
) -> None:
    exchange, queue = broker
    # Rasa started first: it declared the exchange and the queue (durable) and published.
    connection = await aio_pika.connect(AMQP)
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_exchange(exchange, aio_pika.ExchangeType.FANOUT)
        bound = await channel.declare_queue(queue, durable=True)
        await bound.bind(declared, "")
    await publish(exchange, body("early", "user", 1.0, text="hello"))
    feed = BrokerFeed(log, AMQP, queue, exchange, retry_seconds=0.1)
    consumer = asyncio.create_task(feed.run())
    try:
        await until(lambda: len(log.events("early")) == 1)
    finally:
        consumer.cancel()


async def test_the_consumer_keeps_trying_while_the_broker_is_unreachable(log: EventLog) -> None:
    feed = BrokerFeed(log, "amqp://guest:guest@127.0.0.1:9/", "q", "x", retry_seconds=0.05)
    consumer = asyncio.create_task(feed.run())
    await asyncio.sleep(0.5)
    assert not consumer.done() and not feed.consuming.is_set()  # still trying, not crashed
    consumer.cancel()


def test_the_app_reads_the_broker_only_when_rabbitmq_is_configured(tmp_path: Path) -> None:
    common = {
        "_env_file": None,
        "AUTH_TOKEN_SECRET": "s" * 32,
        "RASA_JWT_SECRET": "r" * 32,
        "WEB_DATABASE_URL": f"sqlite:///{tmp_path / 'web.db'}",
    }
    embedded = create_app(WebSettings(**common))  # type: ignore[arg-type]
    assert isinstance(embedded.state.services.feed, RasaFeed)
    settings = WebSettings(  # type: ignore[arg-type]
        **common, RABBITMQ_HOST="mq.internal", RABBITMQ_PASSWORD="p@ss/w:rd", RABBITMQ_QUEUE="console"
    )
    scaled = create_app(settings)
    feed = scaled.state.services.feed
    assert isinstance(feed, BrokerFeed)
    assert feed.url == "amqp://guest:p%40ss%2Fw%3Ard@mq.internal:5672/"
    assert (feed.queue, feed.exchange) == ("console", "settle_events")
