"""The Redis lock store several replicas share: one holder at a time per conversation, in ticket order,
and a ticket left by a dead replica lapses. Against the Redis of this machine, under a key prefix of its
own that the tests delete."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from rasa.core.lock_store import LockError
from rasa.utils.endpoints import EndpointConfig
from redis.asyncio import Redis

from components.lock_store import AtomicRedisLockStore

pytestmark = pytest.mark.redis


@pytest.fixture
async def replicas() -> AsyncIterator[list[AtomicRedisLockStore]]:
    """Two lock stores with their own Redis connections: two replicas."""
    prefix = f"test{uuid.uuid4().hex[:12]}"
    config = EndpointConfig(url="127.0.0.1", port=6379, db=1, key_prefix=prefix)
    stores = [AtomicRedisLockStore(config), AtomicRedisLockStore(config)]
    yield stores
    cleaner = Redis(host="127.0.0.1", port=6379, db=1)
    keys = [key async for key in cleaner.scan_iter(f"{prefix}:*")]
    if keys:
        await cleaner.delete(*keys)
    for client in [cleaner, *(store.red for store in stores)]:
        await client.close()


async def test_one_holder_at_a_time_across_replicas(replicas):
    holding, most, done = 0, 0, []

    async def turn(n: int) -> None:
        nonlocal holding, most
        async with replicas[n % 2].lock("conversation-1"):
            holding += 1
            most = max(most, holding)
            await asyncio.sleep(0.002)  # the turn's work, while the others wait
            done.append(n)
            holding -= 1

    await asyncio.gather(*(turn(n) for n in range(60)))
    assert most == 1 and sorted(done) == list(range(60))


async def test_tickets_are_served_in_the_order_they_were_taken(replicas):
    served = []
    first = replicas[0].lock("conversation-2")
    await first.__aenter__()
    waiting = []
    for n in range(5):  # taken one after the other while the first ticket is held
        waiting.append(asyncio.create_task(_hold(replicas[n % 2], "conversation-2", served, n)))
        await asyncio.sleep(0.05)
    await first.__aexit__(None, None, None)
    await asyncio.gather(*waiting)
    assert served == [0, 1, 2, 3, 4]


async def _hold(store: AtomicRedisLockStore, conversation: str, served: list[int], n: int) -> None:
    async with store.lock(conversation):
        served.append(n)


async def test_other_conversations_do_not_wait(replicas):
    held = replicas[0].lock("conversation-3")
    await held.__aenter__()
    try:
        await asyncio.wait_for(_hold(replicas[1], "conversation-4", [], 0), timeout=1)
    finally:
        await held.__aexit__(None, None, None)


async def test_a_ticket_held_by_a_dead_replica_lapses_after_its_lifetime(replicas):
    dead = replicas[0].lock("conversation-5", lock_lifetime=0.5)
    await dead.__aenter__()  # and never released: the replica was killed
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with replicas[1].lock("conversation-5"):
        waited = loop.time() - started
    assert 0.3 < waited < 2.0


async def test_a_waiting_ticket_that_lapses_is_an_error_not_a_turn(replicas):
    held = replicas[0].lock("conversation-6")
    await held.__aenter__()
    try:
        with pytest.raises(LockError, match="expired while waiting"):
            async with replicas[1].lock("conversation-6", lock_lifetime=0.2):
                pytest.fail("served while another replica held the conversation")
    finally:
        await held.__aexit__(None, None, None)


async def test_redis_down_is_a_lock_error():
    store = AtomicRedisLockStore(EndpointConfig(url="127.0.0.1", port=9, db=1, socket_timeout=1))
    with pytest.raises(LockError, match="Could not take a ticket"):
        async with store.lock("conversation-7"):
            pass
