"""One handoff as the console shows it: the handoff, the masked transcript, what the assistant tried,
whether the user is typing, and (for the detail view, not its live stream) the user's billing context."""

from __future__ import annotations

from typing import Any

from fastapi.concurrency import run_in_threadpool

from web.handoff import context
from web.handoff.views import handoff_json
from web.rasa_client import RasaUnavailable
from web.services import Services


async def conversation_detail(svc: Services, handoff_id: int, with_context: bool) -> dict[str, Any]:
    handoff = await run_in_threadpool(svc.queue.get, handoff_id)
    try:
        events = await svc.feed.events(handoff.conversation_id)
    except RasaUnavailable:
        events = []
    result: dict[str, Any] = {
        "handoff": handoff_json(handoff),
        "transcript": context.transcript(events),
        "tried": context.setbacks(events),
        "user_typing": svc.board.is_typing(handoff.conversation_id),
    }
    if with_context:
        result["context"] = await context.billing_context(
            svc.settings.billing_url,
            svc.settings.token_rules,
            handoff.user_id,
            handoff.tenant_id,
            list(handoff.roles),
        )
        result["context"]["failed_payments"] = context.slots(events).get("failed_attempts") or 0
    return result
