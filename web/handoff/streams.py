"""The console's live streams (server-sent events, agent session): the queue, and one handoff with its
transcript. Each sends its snapshot whenever it changes, a heartbeat otherwise."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from web.handoff.console_api import HandoffId
from web.handoff.deps import SignedInAgent
from web.handoff.detail import conversation_detail
from web.handoff.views import queue_json
from web.services import Svc

STREAM_INTERVAL = 0.4  # seconds between looks at the database / the conversation feed
HEARTBEAT_SECONDS = 15.0
VOLATILE = ("waiting_seconds",)  # ever-ticking fields: a change of theirs alone sends nothing

router = APIRouter(prefix="/console/api")


@router.get("/queue/stream")
async def queue_stream(request: Request, svc: Svc, _agent: SignedInAgent) -> StreamingResponse:
    async def snapshot() -> Any:
        return queue_json(await run_in_threadpool(svc.queue.queue))

    return _stream(request, snapshot)


@router.get("/handoffs/{handoff_id}/stream")
async def handoff_stream(
    request: Request, svc: Svc, _agent: SignedInAgent, handoff_id: HandoffId
) -> StreamingResponse:
    await run_in_threadpool(svc.queue.get, handoff_id)  # 404 now, not an empty stream

    async def snapshot() -> Any:
        return await conversation_detail(svc, handoff_id, with_context=False)

    return _stream(request, snapshot)


def _stream(request: Request, snapshot: Callable[[], Awaitable[Any]]) -> StreamingResponse:
    async def events() -> AsyncIterator[str]:
        last = ""
        quiet = 0.0
        while not await request.is_disconnected():
            data = await snapshot()
            digest = hashlib.sha256(json.dumps(_stable(data), sort_keys=True).encode()).hexdigest()
            if digest != last:
                last = digest
                quiet = 0.0
                yield f"data: {json.dumps(data)}\n\n"
            elif quiet >= HEARTBEAT_SECONDS:
                quiet = 0.0
                yield ": heartbeat\n\n"
            await asyncio.sleep(STREAM_INTERVAL)
            quiet += STREAM_INTERVAL

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value
