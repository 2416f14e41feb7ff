"""Conversation outside the procedure: saying the last answer again."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher


def last_answer(tracker: Tracker) -> list[dict[str, Any]]:
    """The assistant's messages that answered the user's previous message (texts and buttons)."""
    users = [i for i, event in enumerate(tracker.events) if event.get("event") == "user"]
    if len(users) < 2:
        return []
    between = tracker.events[users[-2] + 1 : users[-1]]
    return [e for e in between if e.get("event") == "bot" and e.get("text")]


class ActionRepeat(Action):
    """"Can you say that again?": the previous answer, with its buttons."""

    def name(self) -> str:
        return "action_repeat"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        said = last_answer(tracker)
        if not said:
            dispatcher.utter_message(response="utter_nothing_to_repeat")
        for event in said:
            data = event.get("data") or {}
            dispatcher.utter_message(text=event["text"], buttons=data.get("buttons") or [])
        return []
