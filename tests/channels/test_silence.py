"""The channel's look at the action server before a turn: down only when nothing answers, not when busy,
and one health check at a time however many messages arrive together."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import pytest

from channels import silence
from channels.silence import ActionServerWatch, action_server_down
from tests.support.stack import free_port


class HealthServer:
    """A real HTTP server on loopback answering GET /health after `delay` seconds; counts requests."""

    def __init__(self, delay: float = 0.0, status: int = 200) -> None:
        self.delay, self.status, self.requests = delay, status, 0
        self.port = free_port()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        self.requests += 1
        await asyncio.sleep(self.delay)
        writer.write(f"HTTP/1.1 {self.status} X\r\ncontent-length: 2\r\n\r\nok".encode())
        await writer.drain()
        writer.close()

    async def __aenter__(self) -> HealthServer:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()


def agent(port: int) -> SimpleNamespace:
    return SimpleNamespace(action_endpoint=SimpleNamespace(url=f"http://127.0.0.1:{port}/webhook"))


async def down(port: int) -> bool:
    async with silence.httpx.AsyncClient() as client:
        return await action_server_down(agent(port), client)


async def test_nothing_listening_is_down() -> None:
    assert await down(free_port()) is True


async def test_a_healthy_server_is_up_and_an_unhealthy_answer_is_down() -> None:
    async with HealthServer() as up:
        assert await down(up.port) is False
    async with HealthServer(status=503) as failing:
        assert await down(failing.port) is True


async def test_a_server_that_answers_late_is_busy_not_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(silence, "HEALTH_TIMEOUT", silence.httpx.Timeout(0.2, connect=1.0))
    async with HealthServer(delay=1.0) as busy:
        assert await down(busy.port) is False


async def test_messages_arriving_together_share_one_check() -> None:
    async with HealthServer(delay=0.2) as up:
        watch = ActionServerWatch(trusted_for=60)
        answers = await asyncio.gather(*(watch.down(agent(up.port)) for _ in range(30)))
        assert answers == [False] * 30
        assert up.requests == 1
        assert await watch.down(agent(up.port)) is False  # trusted for a while: no new request
        assert up.requests == 1


async def test_a_watch_sees_a_server_go_down_once_its_trust_runs_out() -> None:
    port = free_port()
    watch = ActionServerWatch(trusted_for=0)
    async with HealthServer() as up:
        port = up.port
        assert await watch.down(agent(port)) is False
    assert await watch.down(agent(port)) is True



@contextmanager
def not_connecting() -> Iterator[int]:
    """A port whose connections are not made: a listener with a full backlog drops new SYNs, so a
    client's connect times out for real (what a replica sees when its loop is held past the timeout)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    queued = [socket.socket() for _ in range(3)]
    for client in queued:
        client.setblocking(False)
        client.connect_ex(("127.0.0.1", port))
    try:
        yield port
    finally:
        for client in queued:
            client.close()
        listener.close()


async def test_a_connect_timeout_before_a_turn_is_busy_not_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(silence, "HEALTH_TIMEOUT", silence.httpx.Timeout(2.0, connect=0.2))
    with not_connecting() as port:
        assert await down(port) is False


async def test_a_connect_timeout_after_a_silent_turn_is_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(silence, "HEALTH_TIMEOUT", silence.httpx.Timeout(2.0, connect=0.2))
    with not_connecting() as port:
        async with silence.httpx.AsyncClient() as client:
            assert await action_server_down(agent(port), client, after_turn=True) is True
