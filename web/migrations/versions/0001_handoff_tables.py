"""handoff tables, as web made them before its migrations

Agents, handoffs, the append-only handoff audit log, the console's copy of the broker's conversation
events (web/handoff/feed.py), the console sign-in counters (web/handoff/throttle.py).

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

OPEN = sa.text("state IN ('requested', 'assigned')")


def upgrade() -> None:
    op.create_table(
        "agents",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("email"),
    )
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=254), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("roles", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("agent_email", sa.String(length=254), nullable=True),
        sa.Column("agent_name", sa.String(length=100), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    # At most one open handoff per conversation, whichever replica asks.
    op.create_index(
        "one_open_handoff_per_conversation",
        "handoffs",
        ["conversation_id"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.create_index("handoffs_by_state", "handoffs", ["state", "requested_at"])
    op.create_table(
        "handoff_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=True),
        sa.Column("conversation_id", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_handoff_audit_handoff_id", "handoff_audit", ["handoff_id"])
    op.create_table(
        "conversation_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("timestamp", sa.Float(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest"),
    )
    op.create_index(
        "conversation_events_in_order", "conversation_events", ["conversation_id", "timestamp", "id"]
    )
    op.create_table(
        "console_signin_failures",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("console_signin_failures_by_window", "console_signin_failures", ["window_started"])
    _append_only_audit()


def _append_only_audit() -> None:
    """Database triggers refuse any UPDATE or DELETE of the handoff audit log."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION handoff_audit_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'handoff_audit is append-only'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER handoff_audit_no_change BEFORE UPDATE OR DELETE ON handoff_audit "
            "FOR EACH ROW EXECUTE FUNCTION handoff_audit_append_only()"
        )
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER handoff_audit_no_{verb.lower()} BEFORE {verb} ON handoff_audit "
            "BEGIN SELECT RAISE(ABORT, 'handoff_audit is append-only'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS handoff_audit_no_change ON handoff_audit")
        op.execute("DROP FUNCTION IF EXISTS handoff_audit_append_only()")
    else:
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS handoff_audit_no_{verb}")
    for index, table in (
        ("console_signin_failures_by_window", "console_signin_failures"),
        ("conversation_events_in_order", "conversation_events"),
        ("ix_handoff_audit_handoff_id", "handoff_audit"),
        ("handoffs_by_state", "handoffs"),
        ("one_open_handoff_per_conversation", "handoffs"),
    ):
        op.drop_index(index, table_name=table)
    for table in ("console_signin_failures", "conversation_events", "handoff_audit", "handoffs", "agents"):
        op.drop_table(table)
