"""The agent console's API (agent session): who am I, the queue, one handoff with its context, the
audit log, and the agent's steps: claim, write, type, hand back."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from security.cards import find_card_data
from web.handoff.deps import SignedInAgent
from web.handoff.detail import conversation_detail
from web.handoff.errors import Refused
from web.handoff.views import agent_metadata, audit_json, handoff_json, queue_json
from web.rasa_client import RasaUnavailable
from web.services import Svc

log = logging.getLogger("web.handoff")
HandoffId = Annotated[int, Path(ge=1)]
JOINED = {
    "fr": "{name}, du support, a rejoint la conversation.",
    "en": "{name} from support has joined the conversation.",
}
CARD_NUMBER_REFUSED = (
    "That looks like a card number: agents never send or see full card numbers. "
    "Ask the user to use the secure card form instead."
)

router = APIRouter(prefix="/console/api")


class AgentMessage(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


class Typing(BaseModel):
    typing: bool


class HandBack(BaseModel):
    mode: str = Field(pattern="^(resume|restart|payment)$")


def looks_like_card_number(text: str) -> bool:
    found = find_card_data(text)
    return bool(found.card_numbers or found.invalid_card_number)


@router.get("/me")
def me(agent: SignedInAgent) -> dict[str, Any]:
    return {"email": agent.email, "name": agent.name}


@router.get("/queue")
async def queue(svc: Svc, _agent: SignedInAgent) -> dict[str, Any]:
    return queue_json(await run_in_threadpool(svc.queue.queue))


@router.get("/handoffs/{handoff_id}")
async def detail(svc: Svc, _agent: SignedInAgent, handoff_id: HandoffId) -> dict[str, Any]:
    return await conversation_detail(svc, handoff_id, with_context=True)


@router.get("/audit")
async def audit(
    svc: Svc, _agent: SignedInAgent, handoff_id: Annotated[int | None, Query(ge=1)] = None
) -> dict[str, Any]:
    entries = await run_in_threadpool(svc.queue.audit, handoff_id)
    return {"entries": [audit_json(e) for e in entries]}


@router.post("/handoffs/{handoff_id}/claim")
async def claim(svc: Svc, agent: SignedInAgent, handoff_id: HandoffId) -> dict[str, Any]:
    handoff = await run_in_threadpool(svc.transitions.claim, handoff_id, agent)
    text = JOINED[handoff.language].format(name=agent.name)
    try:
        await svc.rasa.say(handoff.conversation_id, text, agent_metadata(agent.name, "assigned"))
    except RasaUnavailable as down:
        log.warning("could not tell conversation %s that %s joined: %s", handoff.id, agent.email, down)
    return handoff_json(handoff)


@router.post("/handoffs/{handoff_id}/messages")
async def send(svc: Svc, agent: SignedInAgent, handoff_id: HandoffId, body: AgentMessage) -> dict[str, Any]:
    if looks_like_card_number(body.text):
        raise Refused("card_number_refused", CARD_NUMBER_REFUSED)
    handoff = await run_in_threadpool(svc.queue.holding, handoff_id, agent)
    await svc.rasa.say(handoff.conversation_id, body.text, agent_metadata(agent.name, "assigned"))
    detail = {"text": body.text}
    await run_in_threadpool(svc.transitions.record, agent.email, "agent_message", handoff, detail)
    return {"sent": True}


@router.post("/handoffs/{handoff_id}/typing")
async def typing(svc: Svc, agent: SignedInAgent, handoff_id: HandoffId, body: Typing) -> dict[str, Any]:
    handoff = await run_in_threadpool(svc.queue.holding, handoff_id, agent)
    await svc.rasa.typing(handoff.conversation_id, agent.name, body.typing)
    return {"typing": body.typing}


@router.post("/handoffs/{handoff_id}/handback")
async def hand_back(svc: Svc, agent: SignedInAgent, handoff_id: HandoffId, body: HandBack) -> dict[str, Any]:
    handoff = await run_in_threadpool(svc.transitions.hand_back, handoff_id, agent, body.mode)
    try:
        await svc.rasa.give_back(handoff.conversation_id, body.mode, handoff.language)
    except RasaUnavailable as down:
        await run_in_threadpool(svc.transitions.undo_hand_back, handoff_id, agent, str(down))
        raise
    return handoff_json(handoff)
