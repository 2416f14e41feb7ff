"""The handoff tables: agents, handoffs (one row per request), the append-only audit log, and the
conversation events the event broker delivered (the console's copy of the trackers, `feed.py`).

The schema is made by web's migrations (web/migrations); the store reads and writes these rows and
hands out typed records (`records.py`), never the rows themselves.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from web.db import Base

# States of a handoff (docs/design.md): requested (queued, conversation paused) -> assigned (an agent holds
# it) -> returned (the assistant has it again). `requested -> returned` on timeout or user cancel.
REQUESTED, ASSIGNED, RETURNED = "requested", "assigned", "returned"
ACTIVE = (REQUESTED, ASSIGNED)


class AgentRow(Base):
    __tablename__ = "agents"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(300))


class HandoffRow(Base):
    __tablename__ = "handoffs"
    __table_args__ = (
        # At most one open handoff per conversation, whichever replica asks.
        Index(
            "one_open_handoff_per_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=text("state IN ('requested', 'assigned')"),
            postgresql_where=text("state IN ('requested', 'assigned')"),
        ),
        Index("handoffs_by_state", "state", "requested_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(254))
    tenant_id: Mapped[str] = mapped_column(String(64))
    roles: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2))
    reason: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(String(500), default="")
    state: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(20), default=None)
    agent_email: Mapped[str | None] = mapped_column(String(254), default=None)
    agent_name: Mapped[str | None] = mapped_column(String(100), default=None)
    requested_at: Mapped[datetime]
    deadline: Mapped[datetime]
    assigned_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)


class AuditRow(Base):
    """Append-only (database triggers, made by the first migration, refuse UPDATE and DELETE)."""

    __tablename__ = "handoff_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40))
    handoff_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(64), default=None)
    detail: Mapped[str] = mapped_column(Text, default="")


class ConversationEvent(Base):
    """One Rasa event as the broker delivered it (token-free: Rasa's tracker store strips tokens before
    publishing). A redelivered message has the same digest and is stored once."""

    __tablename__ = "conversation_events"
    __table_args__ = (Index("conversation_events_in_order", "conversation_id", "timestamp", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(255))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    timestamp: Mapped[float] = mapped_column(Float)
    body: Mapped[str] = mapped_column(Text)
