"""Helpers for action tests: trackers as the channel makes them, running an action."""

from __future__ import annotations

from typing import Any

import httpx
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


def tracker(
    token: str | None,
    slots: dict[str, Any] | None = None,
    text: str = "",
    intent: str = "settle_balance",
    metadata: dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
) -> Tracker:
    """A tracker whose latest user message carries the token, like the REST channel makes."""
    meta = {"token": token, **(metadata or {})} if token else dict(metadata or {})
    user = {
        "event": "user",
        "text": text,
        "metadata": meta,
        "parse_data": {
            "intent": {"name": intent, "confidence": 1.0},
            "entities": entities or [],
            "text": text,
            "metadata": meta,
        },
    }
    return Tracker.from_dict(
        {
            "sender_id": "s",
            "slots": {"language": "en", **(slots or {})},
            "events": [user],
            "latest_message": user["parse_data"],
        }
    )


async def run(
    action: Any, trk: Tracker, domain: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(messages uttered, events returned)."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, trk, domain)
    return dispatcher.messages, [dict(e) for e in events]


def responses(messages: list[dict[str, Any]]) -> list[str]:
    return [m.get("response") for m in messages]


def slots(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def billing_get(billing: dict[str, str], token: str, path: str) -> Any:
    return httpx.get(billing["url"] + path, headers={"Authorization": f"Bearer {token}"}).json()
