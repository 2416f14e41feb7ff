"""Reading the handoffs: one handoff, a conversation's open one, the queue, the audit log, and how long
a user in the queue should expect to wait."""

from __future__ import annotations

import statistics

from sqlalchemy import Engine, select

from web.clock import Clock, as_utc, utcnow
from web.db import make_read_sessionmaker
from web.handoff.errors import HandoffNotFound, HeldByAnotherAgent, WrongState
from web.handoff.models import ACTIVE, ASSIGNED, REQUESTED, RETURNED, AuditRow, HandoffRow
from web.handoff.records import Agent, AuditEntry, Handoff, Queue

DEFAULT_WAIT = 120.0  # seconds, until claims have been measured
FOLLOW_UP = 20  # recent timeouts the queue shows


class HandoffQueue:
    def __init__(self, engine: Engine, clock: Clock = utcnow):
        self.clock = clock
        self._read = make_read_sessionmaker(engine)

    def get(self, handoff_id: int) -> Handoff:
        with self._read() as session:
            row = session.get(HandoffRow, handoff_id)
            if row is None:
                raise HandoffNotFound()
            return Handoff.of(row, self.clock())

    def open_for(self, conversation_id: str) -> Handoff | None:
        """The conversation's handoff that is requested or assigned, if any."""
        with self._read() as session:
            row = session.scalars(
                select(HandoffRow).where(
                    HandoffRow.conversation_id == conversation_id, HandoffRow.state.in_(ACTIVE)
                )
            ).first()
            return Handoff.of(row, self.clock()) if row else None

    def holding(self, handoff_id: int, agent: Agent) -> Handoff:
        """The handoff, if `agent` holds it (to write in it), else why not."""
        handoff = self.get(handoff_id)
        if handoff.state != ASSIGNED:
            raise WrongState("not_assigned", "This conversation is not held by an agent right now.")
        if handoff.agent_email != agent.email:
            raise HeldByAnotherAgent(handoff.agent_name)
        return handoff

    def waiting(self) -> list[Handoff]:
        """Requests no agent has claimed yet, oldest first."""
        now = self.clock()
        with self._read() as session:
            rows = session.scalars(
                select(HandoffRow)
                .where(HandoffRow.state == REQUESTED)
                .order_by(HandoffRow.requested_at, HandoffRow.id)
            ).all()
            return [Handoff.of(row, now) for row in rows]

    def position(self, handoff_id: int) -> int:
        """Where the handoff stands in the queue (1: next); 1 when it is no longer waiting."""
        ids = [h.id for h in self.waiting()]
        return ids.index(handoff_id) + 1 if handoff_id in ids else 1

    def queue(self) -> Queue:
        now = self.clock()
        with self._read() as session:
            active = session.scalars(
                select(HandoffRow)
                .where(HandoffRow.state.in_(ACTIVE))
                .order_by(HandoffRow.requested_at, HandoffRow.id)
            ).all()
            missed = session.scalars(
                select(HandoffRow)
                .where(HandoffRow.state == RETURNED, HandoffRow.outcome == "timeout")
                .order_by(HandoffRow.id.desc())
                .limit(FOLLOW_UP)
            ).all()
            return Queue(
                waiting=[Handoff.of(h, now) for h in active if h.state == REQUESTED],
                assigned=[Handoff.of(h, now) for h in active if h.state == ASSIGNED],
                follow_up=[Handoff.of(h, now) for h in missed],
            )

    def audit(self, handoff_id: int | None = None) -> list[AuditEntry]:
        """The audit log (of one handoff), oldest first."""
        with self._read() as session:
            query = select(AuditRow).order_by(AuditRow.id)
            if handoff_id is not None:
                query = query.where(AuditRow.handoff_id == handoff_id)
            return [AuditEntry.of(row) for row in session.scalars(query)]

    def estimated_wait(self, position: int) -> int:
        """Seconds: the queue position times the median wait of the last 20 claims (at least a minute)."""
        with self._read() as session:
            claimed = session.execute(
                select(HandoffRow.requested_at, HandoffRow.assigned_at)
                .where(HandoffRow.assigned_at.is_not(None))
                .order_by(HandoffRow.id.desc())
                .limit(20)
            ).all()
        waits = [(as_utc(a) - as_utc(r)).total_seconds() for r, a in claimed if a is not None]
        typical = statistics.median(waits) if waits else DEFAULT_WAIT
        return int(max(60.0, typical * max(1, position)))
