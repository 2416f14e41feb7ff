"""The assistant asks for a person (the action server, with the user's own token): the conversation
joins the queue; the answer says where it stands and roughly how long the wait is."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from web import history
from web.errors import NotFound, Unavailable
from web.handoff.deps import AssistantCaller
from web.handoff.records import Requester
from web.handoff.views import handoff_json
from web.rasa_client import RasaUnavailable
from web.services import Svc

SESSION_ID = r"^[A-Za-z0-9_-]{8,64}$"

router = APIRouter()


class HandoffRequest(BaseModel):
    conversation_id: str = Field(pattern=SESSION_ID)
    reason: str = Field(max_length=40)
    language: str = Field("en", pattern="^(fr|en)$")
    detail: str = Field("", max_length=500)


@router.post("/api/handoffs", status_code=201)
async def request_handoff(body: HandoffRequest, caller: AssistantCaller, svc: Svc) -> JSONResponse:
    try:
        # Whose conversation it is, from Rasa itself: an authorization decision is not made on a copy
        # that may lag behind (the broker feed).
        events = await svc.rasa.events(body.conversation_id)
    except RasaUnavailable as down:
        raise Unavailable("assistant_unavailable", str(down)) from None
    if history.owner(events) not in (None, caller.user_id):
        raise NotFound("conversation_not_found", "No such conversation.")
    handoff, created = await run_in_threadpool(
        svc.transitions.request,
        body.conversation_id,
        Requester(caller.user_id, caller.tenant_id, caller.roles),
        body.reason,
        body.language,
        body.detail,
    )
    position = await run_in_threadpool(svc.queue.position, handoff.id)
    answer = handoff_json(handoff)
    answer["position"] = position
    answer["estimated_wait_seconds"] = await run_in_threadpool(svc.queue.estimated_wait, position)
    return JSONResponse(answer, status_code=201 if created else 200)
