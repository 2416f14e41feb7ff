"""Handing the conversation to a support agent and taking it back.

The web service keeps the queue and the handoff states; this module asks it for an agent (with the
user's own token), pauses the conversation, and, when the conversation comes back (agent hand-back,
user cancel, timeout: a `handoff_returned` trigger), picks the payment up where it stood or starts over.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import (
    ActionExecuted,
    ConversationPaused,
    EventType,
    FollowupAction,
    Restarted,
    SlotSet,
)
from rasa_sdk.executor import CollectingDispatcher

from actions import config
from actions.context import language_of, latest_user_index, user_token
from actions.settle_asks import repeat_confirmation
from actions.settle_slots import METHODS, SAVED_BY, forget_flow
from clients.web import HandoffQueued, WebClient

FORMS = ("settle_form",)
METHOD_DETAIL = {
    "update_expiry": "was giving a new expiry date",
    "add_card": "was adding a new card",
    "use_other_card": "was choosing another card",
    "retry_card": "was retrying the card on file",
}


def form_in_progress(tracker: Tracker) -> str | None:
    """The form that was active before the latest user message (a request for a person stops it)."""
    for event in reversed(tracker.events[: latest_user_index(tracker)]):
        if event.get("event") == "active_loop":
            name = event.get("name")
            return str(name) if name in FORMS else None
    return None


def handoff_reason(tracker: Tracker) -> str:
    if tracker.get_slot("payments_keep_failing"):
        return "payment_failures"
    if tracker.get_slot("no_billing_role"):
        return "no_billing_role"
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if intent == "nlu_fallback":
        return "repeated_fallback"
    return "asked_for_person"


async def ask_for_agent(
    conversation_id: str, token: str, reason: str, language: str, detail: str
) -> HandoffQueued | None:
    """The web service's answer (queue position, estimated wait), or None when it cannot take it."""
    web = WebClient(config.current().web_url)
    return await web.ask_for_agent(token, conversation_id, reason, language, detail)


class ActionRequestHandoff(Action):
    """Queue the conversation for an agent, tell the user how long, and pause the assistant."""

    def name(self) -> str:
        return "action_request_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return await request_handoff(dispatcher, tracker, handoff_reason(tracker))


async def request_handoff(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> list[EventType]:
    """Ask the web service for an agent; on success say how long and pause the conversation."""
    language = language_of(tracker)
    token = user_token(tracker)
    form = form_in_progress(tracker)
    detail = METHOD_DETAIL.get(str(tracker.get_slot("settle_method")), "") if form else ""
    queued = await ask_for_agent(tracker.sender_id, token, reason, language, detail) if token else None
    reset = [SlotSet("fallback_streak", False), SlotSet("payments_keep_failing", False)]
    if queued is None:
        dispatcher.utter_message(response="utter_handoff_unavailable")
        return reset
    if reason in ("repeated_fallback", "payment_failures"):
        dispatcher.utter_message(response=f"utter_handoff_reason_{reason}")
    dispatcher.utter_message(
        response="utter_handoff_waiting",
        position=queued.get("position", 1),
        minutes=max(1, round(int(queued.get("estimated_wait_seconds", 120)) / 60)),
        handoff={"state": "requested", "estimated_wait_seconds": queued.get("estimated_wait_seconds")},
    )
    # Listening first: once resumed (hand-back, /restart attempt), the next message is matched by the
    # rules like any user turn (the pause stops Rasa before it would predict action_listen itself).
    return [*reset, SlotSet("handoff_form", form), ActionExecuted("action_listen"), ConversationPaused()]


def _entity(tracker: Tracker, name: str) -> str | None:
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == name:
            return str(entity.get("value"))
    return None


class ActionHandoffReturned(Action):
    """The conversation is the assistant's again: resume where it stood, or start over."""

    def name(self) -> str:
        return "action_handoff_returned"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        mode = _entity(tracker, "handoff_mode") or "resume"
        back = {"handoff": {"state": "bot"}}
        if mode in ("restart", "payment"):
            events = [*forget_flow(), SlotSet("subscription", None), SlotSet("handoff_form", None)]
            if mode == "restart":
                dispatcher.utter_message(response="utter_handoff_start_over", **back)
                dispatcher.utter_message(response="utter_handoff_nothing_pending")
                return events
            dispatcher.utter_message(response="utter_handoff_take_payment", **back)
            dispatcher.utter_message(response="utter_handoff_continue")
            return events
        response = {"timeout": "utter_handoff_timeout", "cancelled": "utter_handoff_cancelled"}
        dispatcher.utter_message(response=response.get(mode, "utter_handoff_back"), **back)
        return await self._resume(dispatcher, tracker, domain)

    @staticmethod
    async def _resume(
        dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Back where the procedure stood. A hand-back carries no user token, so only a question that
        needs no billing call is asked from here; otherwise one tap resumes it, with that tap's token."""
        form = tracker.get_slot("handoff_form")
        method = tracker.get_slot("settle_method")
        pending_detail = (
            form in FORMS
            and method in SAVED_BY
            and tracker.get_slot("method_checked")
            and not tracker.get_slot("payment_method_id")
            and any(tracker.get_slot(slot) is None for slot in METHODS[str(method)])
        )
        if pending_detail:
            return [SlotSet("handoff_form", None), FollowupAction(str(form))]
        if repeat_confirmation(dispatcher, tracker):
            return [SlotSet("handoff_form", None)]
        if tracker.get_slot("subscription_id") or form in FORMS:
            dispatcher.utter_message(response="utter_handoff_continue")
            return [SlotSet("handoff_form", None)]
        dispatcher.utter_message(response="utter_handoff_nothing_pending")
        return []


class ActionRestart(Action):
    """`/restart`, except while an agent has the conversation: a restart would un-pause it."""

    def name(self) -> str:
        return "action_restart"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if tracker.is_paused():
            dispatcher.utter_message(response="utter_restart_blocked")
            return [FollowupAction("action_listen")]  # and stay paused
        return [Restarted()]
