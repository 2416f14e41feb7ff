"""A python-socketio client for the live tests that disconnects without waiting out the long poll.

Over the polling transport (the tests' only one: this engineio client's websocket needs a newer aiohttp
than Rasa pins), `AsyncClient.disconnect` sends the close packets and then waits for the pending long
poll to end, which the server answers at its next ping: about 30 s per socket, also inside `connect`
when the server refuses the socket. This one sends the same packets, so the server sees the same
disconnect, then cancels the client's read and write loops instead of waiting for them (left pending,
they are reported as destroyed when the test's event loop closes).
"""

from __future__ import annotations

import asyncio
import contextlib

import socketio
from socketio import packet


class SocketClient(socketio.AsyncClient):  # type: ignore[misc]
    async def disconnect(self) -> None:
        for namespace in self.namespaces:
            await self._send_packet(self.packet_class(packet.DISCONNECT, namespace=namespace))
        loops = [getattr(self.eio, name, None) for name in ("read_loop_task", "write_loop_task")]
        await self.eio.disconnect(abort=True)
        for task in loops:
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
