"""The handoff state machine on the database (docs/design.md, "Handoff states"):

    bot -> requested -> assigned -> returned (bot), and requested -> returned on timeout or cancel.

Every transition is one conditional UPDATE (so two agents, two replicas or a timeout racing a claim
cannot both win) plus its audit entry, in one transaction. A refused transition raises a domain error
(`errors.py`) saying why; it returns the handoff as it is after the step.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from web.clock import Clock, utcnow
from web.db import make_read_sessionmaker, make_sessionmaker
from web.handoff.errors import HandoffError, HandoffNotFound, HeldByAnotherAgent, Refused, WrongState
from web.handoff.models import ACTIVE, ASSIGNED, REQUESTED, RETURNED, AuditRow, HandoffRow
from web.handoff.records import HAND_BACK_MODES, REASONS, Agent, Handoff, Requester


def _changed(result: Any) -> int:
    """Rows an UPDATE changed (a CursorResult's rowcount)."""
    return int(result.rowcount) if isinstance(result, CursorResult) else 0


def _open(session: Session, conversation_id: str) -> HandoffRow | None:
    return session.scalars(
        select(HandoffRow).where(HandoffRow.conversation_id == conversation_id, HandoffRow.state.in_(ACTIVE))
    ).first()


class Transitions:
    def __init__(self, engine: Engine, timeout_seconds: float, clock: Clock = utcnow):
        self.timeout = timedelta(seconds=timeout_seconds)
        self.clock = clock
        self._write = make_sessionmaker(engine)
        self._read = make_read_sessionmaker(engine)

    def request(
        self, conversation_id: str, requester: Requester, reason: str, language: str, detail: str = ""
    ) -> tuple[Handoff, bool]:
        """bot -> requested. Asking again while a handoff is open returns that one (created=False)."""
        if reason not in REASONS:
            raise Refused("unknown_reason", f"The reason must be one of: {', '.join(REASONS)}.")
        now = self.clock()
        try:
            with self._write.begin() as session:
                existing = _open(session, conversation_id)
                if existing is not None:
                    return Handoff.of(existing, now), False
                row = HandoffRow(
                    conversation_id=conversation_id,
                    user_id=requester.user_id,
                    tenant_id=requester.tenant_id,
                    roles=",".join(requester.roles),
                    language=language if language in ("fr", "en") else "en",
                    reason=reason,
                    detail=detail[:500],
                    state=REQUESTED,
                    requested_at=now,
                    deadline=now + self.timeout,
                )
                session.add(row)
                session.flush()
                details = {"reason": reason, "language": row.language}
                _audit(session, now, requester.user_id, "requested", row, details)
                return Handoff.of(row, now), True
        except IntegrityError:  # another replica opened one at the same moment
            with self._read() as session:
                opened = _open(session, conversation_id)
                if opened is None:
                    raise
                return Handoff.of(opened, self.clock()), False

    def claim(self, handoff_id: int, agent: Agent) -> Handoff:
        """requested -> assigned; exactly one of several simultaneous claims wins."""
        now = self.clock()
        with self._write.begin() as session:
            won = _changed(
                session.execute(
                    update(HandoffRow)
                    .where(HandoffRow.id == handoff_id, HandoffRow.state == REQUESTED)
                    .values(state=ASSIGNED, agent_email=agent.email, agent_name=agent.name, assigned_at=now)
                )
            )
            row = session.get(HandoffRow, handoff_id, populate_existing=True)
            if row is None:
                raise HandoffNotFound()
            if not won:
                raise _not_waiting(row, agent.email)
            _audit(session, now, agent.email, "claimed", row, {})
            return Handoff.of(row, now)

    def cancel(self, handoff_id: int, user_id: str) -> Handoff:
        """requested -> returned (the user stopped waiting)."""
        return self._close(handoff_id, REQUESTED, "cancelled", user_id, owner=user_id)

    def expire(self) -> list[Handoff]:
        """requested -> returned for every handoff past its deadline; returns the ones this call closed."""
        now = self.clock()
        with self._read() as session:
            due = session.scalars(
                select(HandoffRow.id).where(HandoffRow.state == REQUESTED, HandoffRow.deadline <= now)
            ).all()
        closed = []
        for handoff_id in due:
            try:
                closed.append(self._close(handoff_id, REQUESTED, "timeout", "system", deadline=now))
            except HandoffError:
                continue  # claimed or cancelled meanwhile, or another replica expired it
        return closed

    def hand_back(self, handoff_id: int, agent: Agent, mode: str) -> Handoff:
        """assigned -> returned, by the agent who holds it."""
        if mode not in HAND_BACK_MODES:
            raise Refused("unknown_mode", f"The mode must be one of: {', '.join(HAND_BACK_MODES)}.")
        return self._close(handoff_id, ASSIGNED, mode, agent.email, agent=agent.email)

    def undo_hand_back(self, handoff_id: int, agent: Agent, why: str) -> None:
        """The assistant could not be told: the agent keeps the conversation."""
        held_by_agent = (HandoffRow.state == RETURNED, HandoffRow.agent_email == agent.email)
        self._reopen(handoff_id, held_by_agent, ASSIGNED, agent.email, "hand_back_failed", why)

    def undo_cancel(self, handoff_id: int, actor: str, why: str) -> None:
        """The assistant could not take the conversation back: the user is still waiting."""
        self._reopen(handoff_id, (HandoffRow.state == RETURNED,), REQUESTED, actor, "return_failed", why)

    def record(self, actor: str, action: str, handoff: Handoff | None, detail: dict[str, Any]) -> None:
        """An audit entry outside a transition (an agent's message, a sign-in)."""
        with self._write.begin() as session:
            session.add(
                AuditRow(
                    at=self.clock(),
                    actor=actor,
                    action=action,
                    handoff_id=handoff.id if handoff else None,
                    conversation_id=handoff.conversation_id if handoff else None,
                    detail=json.dumps(detail, ensure_ascii=False),
                )
            )

    # --- helpers --------------------------------------------------------------------------------
    def _reopen(
        self, handoff_id: int, conditions: tuple[Any, ...], state: str, actor: str, action: str, why: str
    ) -> None:
        now = self.clock()
        with self._write.begin() as session:
            session.execute(
                update(HandoffRow)
                .where(HandoffRow.id == handoff_id, *conditions)
                .values(state=state, outcome=None, closed_at=None)
            )
            row = session.get(HandoffRow, handoff_id, populate_existing=True)
            if row is not None:
                _audit(session, now, actor, action, row, {"why": why})

    def _close(
        self,
        handoff_id: int,
        from_state: str,
        outcome: str,
        actor: str,
        *,
        owner: str | None = None,
        agent: str | None = None,
        deadline: datetime | None = None,
    ) -> Handoff:
        now = self.clock()
        with self._write.begin() as session:
            conditions = [HandoffRow.id == handoff_id, HandoffRow.state == from_state]
            if owner is not None:
                conditions.append(HandoffRow.user_id == owner)
            if agent is not None:
                conditions.append(HandoffRow.agent_email == agent)
            if deadline is not None:
                conditions.append(HandoffRow.deadline <= deadline)
            won = _changed(
                session.execute(
                    update(HandoffRow)
                    .where(*conditions)
                    .values(state=RETURNED, outcome=outcome, closed_at=now)
                )
            )
            row = session.get(HandoffRow, handoff_id, populate_existing=True)
            if row is None or (owner is not None and row.user_id != owner):
                raise HandoffNotFound()
            if not won:
                if agent is not None and row.state == ASSIGNED:
                    raise HeldByAnotherAgent(row.agent_name)
                raise _wrong_state(row)
            action = outcome if outcome in ("cancelled", "timeout") else "handed_back"
            _audit(session, now, actor, action, row, {"mode": outcome})
            return Handoff.of(row, now)


def _not_waiting(row: HandoffRow, email: str) -> WrongState:
    if row.state == ASSIGNED:
        who = "you" if row.agent_email == email else row.agent_name
        return WrongState("already_claimed", f"Already claimed by {who}.")
    return WrongState("not_waiting", "This conversation is back with the assistant.")


def _wrong_state(row: HandoffRow) -> WrongState:
    if row.state == RETURNED:
        return WrongState("already_returned", "This conversation is already back with the assistant.")
    if row.state == ASSIGNED:
        return WrongState("agent_holds_it", f"{row.agent_name} is already handling this conversation.")
    return WrongState("not_assigned", "No agent has claimed this conversation yet.")


def _audit(
    session: Session, now: datetime, actor: str, action: str, row: HandoffRow, detail: dict[str, Any]
) -> None:
    session.add(
        AuditRow(
            at=now,
            actor=actor,
            action=action,
            handoff_id=row.id,
            conversation_id=row.conversation_id,
            detail=json.dumps(detail, ensure_ascii=False),
        )
    )
