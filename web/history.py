"""A conversation's transcript for the widget and whose conversation it is, from its Rasa events (read
through `web.rasa_client`)."""

from __future__ import annotations

import json
from typing import Any

from web.rasa_client import Event

PAYLOAD_PREFIX = "/"


def owner(events: list[Event]) -> str | None:
    """The user the conversation belongs to (the channel stores it on every user message)."""
    for event in events:
        if event.get("event") == "user":
            user = (event.get("metadata") or {}).get("user")
            if user:
                return str(user)
    return None


def transcript(events: list[Event]) -> list[dict[str, Any]]:
    """User and bot messages since the last restart; quick replies marked answered once replied to."""
    messages: list[dict[str, Any]] = []
    for event in events:
        kind = event.get("event")
        if kind == "restart":
            messages = []
        elif kind == "user":
            text = str(event.get("text") or "")
            messages.append({"sender": "user", "text": _shown(text, event), "metadata": {}})
            for earlier in messages:
                earlier["answered"] = True
        elif kind == "bot":
            data = event.get("data") or {}
            buttons = data.get("buttons") or data.get("quick_replies") or []
            metadata = event.get("metadata") or {}
            messages.append(
                {
                    "sender": "bot",
                    "text": event.get("text") or "",
                    "quick_replies": [
                        {"title": b.get("title"), "payload": b.get("payload")} for b in buttons
                    ],
                    "metadata": {
                        k: metadata[k] for k in ("utter_action", "agent_name", "language") if metadata.get(k)
                    },
                    "answered": False,
                }
            )
    return messages


def _shown(text: str, event: Event) -> str:
    """A button payload reads as the title the user clicked, when the transcript has it."""
    if not text.startswith(PAYLOAD_PREFIX):
        return text
    return str((event.get("metadata") or {}).get("shown_as") or _intent_words(text))


def _intent_words(payload: str) -> str:
    name, _, entities = payload[1:].partition("{")
    try:
        values = list(json.loads("{" + entities).values()) if entities else []
    except ValueError:
        values = []
    return " ".join([name.replace("_", " "), *map(str, values)]).strip()
