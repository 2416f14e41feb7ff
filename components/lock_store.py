"""A Redis lock store whose tickets are taken and given back atomically, for several Rasa replicas.

Rasa Open Source's `RedisLockStore` keeps a conversation's whole ticket lock in one Redis value and
changes it by read, modify, write: two replicas taking a ticket at the same moment both read the same
lock, and the second write drops the first one's ticket. Measured with two replicas and two messages of
one conversation sent at once (tests/live/test_replicas.py), conversations stopped for good: a waiting
ticket deleted by the other replica's clean-up is never served. Here each step is one Lua script, run
atomically by Redis with Redis's clock: a counter numbers the tickets, one sorted set keeps the queue in
ticket order and another their expiry. The lowest live ticket is served; a replica that dies holding a
ticket holds up its conversation only until the ticket's lifetime (Rasa's `TICKET_LOCK_LIFETIME`, 60 s).

endpoints.scale.yml: `lock_store: {type: components.lock_store.AtomicRedisLockStore, url: HOST, port:
6379, db: 1, key_prefix: settle}`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

POLL_SECONDS = 0.02  # Redis answers in well under a millisecond on the same network

# KEYS: counter, queue (score: ticket number), expiries (score: expiry time). ARGV: lifetime in seconds.
ISSUE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local ticket = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], ticket, ticket)
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[1]), ticket)
local keep = math.ceil(tonumber(ARGV[1])) + 60
for _, key in ipairs(KEYS) do redis.call('EXPIRE', key, keep) end
return ticket
"""
# KEYS: queue, expiries. ARGV: ticket. 1: served now, 0: waiting, -1: the ticket expired.
SERVING = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
  redis.call('ZREM', KEYS[1], gone)
  redis.call('ZREM', KEYS[2], gone)
end
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return -1 end
local first = redis.call('ZRANGE', KEYS[1], 0, 0)
if first[1] == ARGV[1] then return 1 end
return 0
"""
# KEYS: queue, expiries. ARGV: ticket.
FINISH = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
"""


class AtomicRedisLockStore(LockStore):
    def __init__(self, endpoint_config: EndpointConfig | None = None, client: Any = None) -> None:
        settings = dict(endpoint_config.kwargs) if endpoint_config else {}
        if client is None:
            from redis.asyncio import Redis

            client = Redis(
                host=(endpoint_config.url if endpoint_config else None) or "localhost",
                port=int(settings.get("port", 6379)),
                db=int(settings.get("db", 1)),
                username=settings.get("username"),
                password=settings.get("password"),
                socket_timeout=float(settings.get("socket_timeout", 10)),
            )
        self.red = client
        self.key_prefix = f"{settings.get('key_prefix') or 'settle'}:lock:"
        self._issue = client.register_script(ISSUE)
        self._serving = client.register_script(SERVING)
        self._finish = client.register_script(FINISH)
        super().__init__()

    def _keys(self, conversation_id: str) -> list[str]:
        base = self.key_prefix + conversation_id
        return [f"{base}:counter", f"{base}:queue", f"{base}:expiries"]

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_SECONDS,
    ) -> AsyncIterator[TicketLock]:
        counter, queue, expiries = self._keys(conversation_id)
        try:
            ticket = int(await self._issue(keys=[counter, queue, expiries], args=[lock_lifetime]))
        except Exception as error:  # Redis down: Rasa answers the message with an error, nothing is run
            message = f"Could not take a ticket for conversation '{conversation_id}': {error}"
            raise LockError(message) from None
        try:
            while (state := await self._serving(keys=[queue, expiries], args=[ticket])) != 1:
                if state == -1:
                    raise LockError(f"The ticket for conversation '{conversation_id}' expired while waiting.")
                await asyncio.sleep(min(wait_time_in_seconds, POLL_SECONDS))
            yield TicketLock(conversation_id)
        finally:
            await self._finish(keys=[queue, expiries], args=[ticket])
