"""The handoff API's wire format: how records are shown to the console, the widget and the assistant
(the JSON the console's script and the action server read)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from web.handoff.records import AuditEntry, Handoff, Queue


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def handoff_json(handoff: Handoff) -> dict[str, Any]:
    return {
        "id": handoff.id,
        "conversation_id": handoff.conversation_id,
        "user": handoff.user_id,
        "tenant": handoff.tenant_id,
        "roles": ",".join(handoff.roles),
        "language": handoff.language,
        "reason": handoff.reason,
        "detail": handoff.detail,
        "state": handoff.state,
        "outcome": handoff.outcome,
        "agent": handoff.agent_email,
        "agent_name": handoff.agent_name,
        "requested_at": handoff.requested_at.isoformat(),
        "waiting_seconds": handoff.waiting_seconds,
        "deadline": handoff.deadline.isoformat(),
        "assigned_at": _iso(handoff.assigned_at),
        "closed_at": _iso(handoff.closed_at),
    }


def queue_json(queue: Queue) -> dict[str, list[dict[str, Any]]]:
    return {
        "waiting": [handoff_json(h) for h in queue.waiting],
        "assigned": [handoff_json(h) for h in queue.assigned],
        "follow_up": [handoff_json(h) for h in queue.follow_up],
    }


def audit_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "handoff_id": entry.handoff_id,
        "conversation_id": entry.conversation_id,
        "detail": entry.detail,
    }


def agent_metadata(agent_name: str, state: str) -> dict[str, Any]:
    """The metadata of a message an agent says in the conversation (the widget labels it theirs)."""
    return {
        "agent_name": agent_name,
        "sender_role": "agent",
        "handoff": {"state": state, "agent_name": agent_name},
    }
