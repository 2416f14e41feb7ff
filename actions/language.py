"""The user's language: the widget's locale at the start, then an explicit switch. (What they write is
read in the Rasa process: components/language.py.)"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from reading.language import wanted_language


def language_of(tracker: Tracker) -> str:
    return str(tracker.get_slot("language") or "en")


class ActionSwitchLanguage(Action):
    """Sets the language a switch request asks for ("in French please", "une autre langue"). Every other
    message's language is read in the Rasa process (components/language.py)."""

    def name(self) -> str:
        return "action_switch_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        current = tracker.get_slot("language")
        wanted = wanted_language(tracker.latest_message.get("text") or "", current)
        return [SlotSet("language", wanted)] if wanted != current else []


class ActionSessionStart(Action):
    """Starts a session in the widget's locale and keeps the slots of the previous one."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        for name, value in tracker.current_slot_values().items():
            if value is not None and name != "session_started_metadata":
                events.append(SlotSet(name, value))
        metadata = tracker.get_slot("session_started_metadata") or {}
        locale = str(metadata.get("locale") or "")
        if locale:
            events.append(SlotSet("language", "fr" if locale.lower().startswith("fr") else "en"))
        if tracker.is_paused():
            # A new session must not hand the conversation back from the agent who holds it.
            events.append(ConversationPaused())
        events.append(ActionExecuted("action_listen"))
        return events
