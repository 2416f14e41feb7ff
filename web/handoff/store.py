"""The handoff state machine on the database. Every transition is one conditional UPDATE (so two
agents, two replicas or a timeout racing a claim cannot both win) plus its audit entry, in one
transaction."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from billing.clock import as_utc, utcnow
from billing.db import make_read_sessionmaker, make_sessionmaker
from web.handoff.models import ACTIVE, ASSIGNED, REQUESTED, RETURNED, Agent, AuditEntry, Handoff

REASONS = ("asked_for_person", "repeated_fallback", "payment_failures", "no_billing_role")
HAND_BACK_MODES = ("resume", "restart", "payment")
DEFAULT_WAIT = 120.0  # seconds, until claims have been measured
# The hash of a random, forgotten password: checked against when the e-mail is no agent's.
NO_AGENT_HASH = (
    "scrypt$5b330ad437f58a2c075b45edc8b387eb$4f68c8a94d44e881944adf43eb4f6e5417ecc8706d59806aa528cb167103e1"
    "2f9868f53ed5a11d24cf3406b109423b5fd8ca8d295ed1a1994ed35198d502f38c"
)


def _changed(result: Any) -> int:
    """Rows an UPDATE changed (a CursorResult's rowcount)."""
    return int(result.rowcount) if isinstance(result, CursorResult) else 0


class HandoffError(Exception):
    """A refused transition: a stable code, an HTTP status and a sentence for people."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class Requester:
    user_id: str
    tenant_id: str
    roles: tuple[str, ...]


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    try:
        _scheme, salt, digest = stored.split("$")
        candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=2**14, r=8, p=1)
    except ValueError:
        return False
    return hmac.compare_digest(candidate.hex(), digest)


def as_dict(handoff: Handoff, now: datetime) -> dict[str, Any]:
    requested = as_utc(handoff.requested_at)
    return {
        "id": handoff.id,
        "conversation_id": handoff.conversation_id,
        "user": handoff.user_id,
        "tenant": handoff.tenant_id,
        "roles": handoff.roles,
        "language": handoff.language,
        "reason": handoff.reason,
        "detail": handoff.detail,
        "state": handoff.state,
        "outcome": handoff.outcome,
        "agent": handoff.agent_email,
        "agent_name": handoff.agent_name,
        "requested_at": requested.isoformat(),
        "waiting_seconds": int(
            ((as_utc(handoff.assigned_at) if handoff.assigned_at else now) - requested).total_seconds()
        ),
        "deadline": as_utc(handoff.deadline).isoformat(),
        "assigned_at": as_utc(handoff.assigned_at).isoformat() if handoff.assigned_at else None,
        "closed_at": as_utc(handoff.closed_at).isoformat() if handoff.closed_at else None,
    }


class HandoffStore:
    def __init__(self, engine: Engine, timeout_seconds: float, clock: Callable[[], datetime] = utcnow):
        self.engine = engine
        self.timeout = timedelta(seconds=timeout_seconds)
        self.clock = clock
        self._write = make_sessionmaker(engine)
        self._read = make_read_sessionmaker(engine)

    # --- agents -------------------------------------------------------------------------------
    def seed_agents(self, agents: list[tuple[str, str]], password: str) -> None:
        """The demo agents, with `password` (hashed); existing agents keep theirs."""
        with self._write.begin() as session:
            for email, name in agents:
                if session.get(Agent, email) is None:
                    session.add(Agent(email=email, name=name, password_hash=hash_password(password)))

    def authenticate(self, email: str, password: str) -> Agent | None:
        with self._read() as session:
            agent = session.get(Agent, email.strip().lower())
        if agent is None:
            password_matches(password, NO_AGENT_HASH)  # the same work (one scrypt) as for an agent
            return None
        return agent if password_matches(password, agent.password_hash) else None

    def agent(self, email: str) -> Agent | None:
        with self._read() as session:
            return session.get(Agent, email)

    # --- reads --------------------------------------------------------------------------------
    def get(self, handoff_id: int) -> dict[str, Any]:
        with self._read() as session:
            handoff = session.get(Handoff, handoff_id)
            if handoff is None:
                raise HandoffError(404, "handoff_not_found", "There is no such handoff.")
            return as_dict(handoff, self.clock())

    def open_for(self, conversation_id: str) -> dict[str, Any] | None:
        with self._read() as session:
            handoff = session.scalars(
                select(Handoff).where(Handoff.conversation_id == conversation_id, Handoff.state.in_(ACTIVE))
            ).first()
            return as_dict(handoff, self.clock()) if handoff else None

    def waiting(self) -> list[dict[str, Any]]:
        """Requests no agent has claimed yet, oldest first."""
        now = self.clock()
        with self._read() as session:
            rows = session.scalars(
                select(Handoff).where(Handoff.state == REQUESTED).order_by(Handoff.requested_at, Handoff.id)
            ).all()
            return [as_dict(h, now) for h in rows]

    def queue(self) -> dict[str, list[dict[str, Any]]]:
        """Waiting (oldest first), held by an agent, and recent timeouts to follow up."""
        now = self.clock()
        with self._read() as session:
            active = session.scalars(
                select(Handoff).where(Handoff.state.in_(ACTIVE)).order_by(Handoff.requested_at, Handoff.id)
            ).all()
            missed = session.scalars(
                select(Handoff)
                .where(Handoff.state == RETURNED, Handoff.outcome == "timeout")
                .order_by(Handoff.id.desc())
                .limit(20)
            ).all()
            return {
                "waiting": [as_dict(h, now) for h in active if h.state == REQUESTED],
                "assigned": [as_dict(h, now) for h in active if h.state == ASSIGNED],
                "follow_up": [as_dict(h, now) for h in missed],
            }

    def audit(self, handoff_id: int | None = None) -> list[dict[str, Any]]:
        with self._read() as session:
            query = select(AuditEntry).order_by(AuditEntry.id)
            if handoff_id is not None:
                query = query.where(AuditEntry.handoff_id == handoff_id)
            return [
                {
                    "at": as_utc(e.at).isoformat(),
                    "actor": e.actor,
                    "action": e.action,
                    "handoff_id": e.handoff_id,
                    "conversation_id": e.conversation_id,
                    "detail": json.loads(e.detail) if e.detail else {},
                }
                for e in session.scalars(query)
            ]

    def estimated_wait(self, position: int) -> int:
        """Seconds: the queue position times the median wait of the last 20 claims."""
        with self._read() as session:
            claimed = session.execute(
                select(Handoff.requested_at, Handoff.assigned_at)
                .where(Handoff.assigned_at.is_not(None))
                .order_by(Handoff.id.desc())
                .limit(20)
            ).all()
        waits = [(as_utc(a) - as_utc(r)).total_seconds() for r, a in claimed if a is not None]
        typical = statistics.median(waits) if waits else DEFAULT_WAIT
        return int(max(60.0, typical * max(1, position)))

    # --- transitions ----------------------------------------------------------------------------
    def request(
        self, conversation_id: str, requester: Requester, reason: str, language: str, detail: str = ""
    ) -> tuple[dict[str, Any], bool]:
        """bot -> requested. Asking again while a handoff is open returns that one (created=False)."""
        if reason not in REASONS:
            raise HandoffError(422, "unknown_reason", f"The reason must be one of: {', '.join(REASONS)}.")
        now = self.clock()
        try:
            with self._write.begin() as session:
                existing = self._open(session, conversation_id)
                if existing is not None:
                    return as_dict(existing, now), False
                handoff = Handoff(
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
                session.add(handoff)
                session.flush()
                self._audit(
                    session,
                    now,
                    requester.user_id,
                    "requested",
                    handoff,
                    {"reason": reason, "language": handoff.language},
                )
                return as_dict(handoff, now), True
        except IntegrityError:  # another replica opened one at the same moment
            opened = self.open_for(conversation_id)
            if opened is None:
                raise
            return opened, False

    def claim(self, handoff_id: int, agent: Agent) -> dict[str, Any]:
        """requested -> assigned; exactly one of several simultaneous claims wins."""
        now = self.clock()
        with self._write.begin() as session:
            won = _changed(
                session.execute(
                    update(Handoff)
                    .where(Handoff.id == handoff_id, Handoff.state == REQUESTED)
                    .values(state=ASSIGNED, agent_email=agent.email, agent_name=agent.name, assigned_at=now)
                )
            )
            handoff = session.get(Handoff, handoff_id, populate_existing=True)
            if handoff is None:
                raise HandoffError(404, "handoff_not_found", "There is no such handoff.")
            if not won:
                raise self._not_waiting(handoff, agent.email)
            self._audit(session, now, agent.email, "claimed", handoff, {})
            return as_dict(handoff, now)

    def cancel(self, handoff_id: int, user_id: str) -> dict[str, Any]:
        """requested -> returned (the user stopped waiting)."""
        return self._close(handoff_id, REQUESTED, "cancelled", user_id, owner=user_id)

    def expire(self) -> list[dict[str, Any]]:
        """requested -> returned for every handoff past its deadline; returns the ones this call closed."""
        now = self.clock()
        with self._read() as session:
            due = session.scalars(
                select(Handoff.id).where(Handoff.state == REQUESTED, Handoff.deadline <= now)
            ).all()
        closed = []
        for handoff_id in due:
            try:
                closed.append(self._close(handoff_id, REQUESTED, "timeout", "system", deadline=now))
            except HandoffError:
                continue  # claimed or cancelled meanwhile, or another replica expired it
        return closed

    def hand_back(self, handoff_id: int, agent: Agent, mode: str) -> dict[str, Any]:
        """assigned -> returned, by the agent who holds it."""
        if mode not in HAND_BACK_MODES:
            raise HandoffError(422, "unknown_mode", f"The mode must be one of: {', '.join(HAND_BACK_MODES)}.")
        return self._close(handoff_id, ASSIGNED, mode, agent.email, agent=agent.email)

    def undo_hand_back(self, handoff_id: int, agent: Agent, why: str) -> None:
        """The assistant could not be told: the agent keeps the conversation."""
        now = self.clock()
        with self._write.begin() as session:
            session.execute(
                update(Handoff)
                .where(
                    Handoff.id == handoff_id, Handoff.state == RETURNED, Handoff.agent_email == agent.email
                )
                .values(state=ASSIGNED, outcome=None, closed_at=None)
            )
            handoff = session.get(Handoff, handoff_id, populate_existing=True)
            if handoff is not None:
                self._audit(session, now, agent.email, "hand_back_failed", handoff, {"why": why})

    def undo_cancel(self, handoff_id: int, actor: str, why: str) -> None:
        now = self.clock()
        with self._write.begin() as session:
            session.execute(
                update(Handoff)
                .where(Handoff.id == handoff_id, Handoff.state == RETURNED)
                .values(state=REQUESTED, outcome=None, closed_at=None)
            )
            handoff = session.get(Handoff, handoff_id, populate_existing=True)
            if handoff is not None:
                self._audit(session, now, actor, "return_failed", handoff, {"why": why})

    def holding(self, handoff_id: int, agent: Agent) -> dict[str, Any]:
        """The handoff, if `agent` holds it (to send a message), else a specific refusal."""
        handoff = self.get(handoff_id)
        if handoff["state"] != ASSIGNED:
            raise HandoffError(409, "not_assigned", "This conversation is not held by an agent right now.")
        if handoff["agent"] != agent.email:
            raise HandoffError(
                403, "held_by_another_agent", f"{handoff['agent_name']} holds this conversation."
            )
        return handoff

    def record(self, actor: str, action: str, handoff: dict[str, Any] | None, detail: dict[str, Any]) -> None:
        """An audit entry outside a transition (an agent's message, a sign-in)."""
        with self._write.begin() as session:
            session.add(
                AuditEntry(
                    at=self.clock(),
                    actor=actor,
                    action=action,
                    handoff_id=handoff["id"] if handoff else None,
                    conversation_id=handoff["conversation_id"] if handoff else None,
                    detail=json.dumps(detail, ensure_ascii=False),
                )
            )

    # --- helpers --------------------------------------------------------------------------------
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
    ) -> dict[str, Any]:
        now = self.clock()
        with self._write.begin() as session:
            conditions = [Handoff.id == handoff_id, Handoff.state == from_state]
            if owner is not None:
                conditions.append(Handoff.user_id == owner)
            if agent is not None:
                conditions.append(Handoff.agent_email == agent)
            if deadline is not None:
                conditions.append(Handoff.deadline <= deadline)
            won = _changed(
                session.execute(
                    update(Handoff).where(*conditions).values(state=RETURNED, outcome=outcome, closed_at=now)
                )
            )
            handoff = session.get(Handoff, handoff_id, populate_existing=True)
            if handoff is None or (owner is not None and handoff.user_id != owner):
                raise HandoffError(404, "handoff_not_found", "There is no such handoff.")
            if not won:
                if agent is not None and handoff.state == ASSIGNED:
                    raise HandoffError(
                        403, "held_by_another_agent", f"{handoff.agent_name} holds this conversation."
                    )
                raise self._wrong_state(handoff, outcome)
            self._audit(
                session,
                now,
                actor,
                outcome if outcome in ("cancelled", "timeout") else "handed_back",
                handoff,
                {"mode": outcome},
            )
            return as_dict(handoff, now)

    @staticmethod
    def _open(session: Session, conversation_id: str) -> Handoff | None:
        return session.scalars(
            select(Handoff).where(Handoff.conversation_id == conversation_id, Handoff.state.in_(ACTIVE))
        ).first()

    @staticmethod
    def _not_waiting(handoff: Handoff, email: str) -> HandoffError:
        if handoff.state == ASSIGNED:
            who = "you" if handoff.agent_email == email else handoff.agent_name
            return HandoffError(409, "already_claimed", f"Already claimed by {who}.")
        return HandoffError(409, "not_waiting", "This conversation is back with the assistant.")

    @staticmethod
    def _wrong_state(handoff: Handoff, outcome: str) -> HandoffError:
        if handoff.state == RETURNED:
            return HandoffError(
                409, "already_returned", "This conversation is already back with the assistant."
            )
        if handoff.state == ASSIGNED:
            return HandoffError(
                409, "agent_holds_it", f"{handoff.agent_name} is already handling this conversation."
            )
        return HandoffError(409, "not_assigned", "No agent has claimed this conversation yet.")

    @staticmethod
    def _audit(
        session: Session, now: datetime, actor: str, action: str, handoff: Handoff, detail: dict[str, Any]
    ) -> None:
        session.add(
            AuditEntry(
                at=now,
                actor=actor,
                action=action,
                handoff_id=handoff.id,
                conversation_id=handoff.conversation_id,
                detail=json.dumps(detail, ensure_ascii=False),
            )
        )
