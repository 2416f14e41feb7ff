"""The append-only audit log of every write."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from billing.models import AuditEntry


def record(
    session: Session,
    *,
    at: datetime,
    actor: str,
    tenant_id: str | None,
    action: str,
    target: str | None = None,
    **details: Any,
) -> None:
    """Add an audit entry to the caller's transaction (it lands if the write lands)."""
    session.add(
        AuditEntry(
            at=at, actor=actor, tenant_id=tenant_id, action=action, target=target, details=details or None
        )
    )
