"""What the handoff store hands out: typed, immutable records (never the database rows), read at one
moment (`waiting_seconds` is as of the read)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from web.clock import as_utc
from web.handoff.models import AuditRow, HandoffRow

REASONS = ("asked_for_person", "repeated_fallback", "payment_failures", "no_billing_role")
HAND_BACK_MODES = ("resume", "restart", "payment")


@dataclass(frozen=True)
class Agent:
    """A support agent (the password hash stays in the store)."""

    email: str
    name: str


@dataclass(frozen=True)
class Requester:
    """The user a handoff is asked for, as their token says."""

    user_id: str
    tenant_id: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class Handoff:
    id: int
    conversation_id: str
    user_id: str
    tenant_id: str
    roles: tuple[str, ...]
    language: str
    reason: str
    detail: str
    state: str
    outcome: str | None
    agent_email: str | None
    agent_name: str | None
    requested_at: datetime
    deadline: datetime
    assigned_at: datetime | None
    closed_at: datetime | None
    waiting_seconds: int  # until an agent claimed it, else until the read

    @classmethod
    def of(cls, row: HandoffRow, now: datetime) -> Handoff:
        requested = as_utc(row.requested_at)
        assigned = as_utc(row.assigned_at) if row.assigned_at else None
        return cls(
            id=row.id,
            conversation_id=row.conversation_id,
            user_id=row.user_id,
            tenant_id=row.tenant_id,
            roles=tuple(r for r in row.roles.split(",") if r),
            language=row.language,
            reason=row.reason,
            detail=row.detail,
            state=row.state,
            outcome=row.outcome,
            agent_email=row.agent_email,
            agent_name=row.agent_name,
            requested_at=requested,
            deadline=as_utc(row.deadline),
            assigned_at=assigned,
            closed_at=as_utc(row.closed_at) if row.closed_at else None,
            waiting_seconds=int(((assigned or now) - requested).total_seconds()),
        )


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    handoff_id: int | None
    conversation_id: str | None
    detail: dict[str, Any]

    @classmethod
    def of(cls, row: AuditRow) -> AuditEntry:
        return cls(
            at=as_utc(row.at),
            actor=row.actor,
            action=row.action,
            handoff_id=row.handoff_id,
            conversation_id=row.conversation_id,
            detail=json.loads(row.detail) if row.detail else {},
        )


@dataclass(frozen=True)
class Queue:
    """What the console's queue shows: waiting (oldest first), held by an agent, recent timeouts."""

    waiting: list[Handoff]
    assigned: list[Handoff]
    follow_up: list[Handoff]
