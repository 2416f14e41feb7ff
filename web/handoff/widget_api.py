"""The widget's side of a handoff (portal cookie): the status of the user's own open handoff, "stop
waiting", and the user typing (shown to the agent who holds the conversation)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from security import tokens
from web.errors import Conflict, NotFound, Unavailable
from web.handoff.assistant_api import SESSION_ID
from web.handoff.models import ASSIGNED
from web.handoff.records import Handoff
from web.rasa_client import RasaUnavailable
from web.services import Services, SignedInUser, Svc

router = APIRouter()


class SessionRef(BaseModel):
    session_id: str = Field(pattern=SESSION_ID)


class UserTyping(SessionRef):
    typing: bool


async def own_open_handoff(svc: Services, caller: tokens.Principal, session_id: str) -> Handoff | None:
    """The caller's open handoff on this conversation (None: there is none, or it is someone else's)."""
    handoff = await run_in_threadpool(svc.queue.open_for, session_id)
    return handoff if handoff is not None and handoff.user_id == caller.user_id else None


@router.get("/api/handoff")
async def handoff_status(
    svc: Svc, caller: SignedInUser, session_id: Annotated[str, Query(pattern=SESSION_ID)]
) -> dict[str, Any]:
    handoff = await own_open_handoff(svc, caller, session_id)
    if handoff is None:
        return {"state": "bot"}
    position = await run_in_threadpool(svc.queue.position, handoff.id)
    return {
        "state": handoff.state,
        "agent_name": handoff.agent_name,
        "estimated_wait_seconds": await run_in_threadpool(svc.queue.estimated_wait, position),
    }


@router.post("/api/handoff/cancel")
async def cancel_wait(body: SessionRef, svc: Svc, caller: SignedInUser) -> dict[str, Any]:
    handoff = await own_open_handoff(svc, caller, body.session_id)
    if handoff is None:
        raise NotFound("not_waiting", "You are not waiting for an agent.")
    closed = await run_in_threadpool(svc.transitions.cancel, handoff.id, caller.user_id)
    try:
        await svc.rasa.give_back(closed.conversation_id, "cancelled", closed.language)
    except RasaUnavailable as down:
        await run_in_threadpool(svc.transitions.undo_cancel, closed.id, caller.user_id, str(down))
        raise Unavailable(
            "assistant_unavailable", "The assistant could not be reached; you are still waiting."
        ) from None
    return {"state": "bot"}


@router.post("/api/handoff/typing")
async def user_typing(body: UserTyping, svc: Svc, caller: SignedInUser) -> dict[str, Any]:
    """The widget says its user is typing to the agent who holds the conversation."""
    handoff = await own_open_handoff(svc, caller, body.session_id)
    if handoff is None or handoff.state != ASSIGNED:
        raise Conflict("no_agent", "No support agent holds this conversation.")
    svc.board.set(body.session_id, body.typing)
    return {"typing": body.typing}
