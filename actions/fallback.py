"""When the assistant is unsure: empty or huge input, close intents (buttons), or a plain retry."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.context import label, language_of, latest_metadata, latest_user_index
from actions.handoff import request_handoff
from actions.settle_asks import ask_again
from reading.words import wordless

LONG_MESSAGE = 1000
MEANINGFUL = {
    "settle_balance",
    "ask_balance",
    "ask_why_past_due",
    "retry_card",
    "update_expiry",
    "use_other_card",
    "add_card",
    "more_info",
    "cancel",
    "human_handoff",
}
FALLBACK_ACTIONS = ("action_fallback", "action_default_fallback")


def previous_turn_not_understood(tracker: Tracker) -> bool:
    """Did the assistant's answer to the user's previous message come from a fallback too?
    (The events sent to actions keep the messages a fallback reverted.)"""
    users = [i for i, event in enumerate(tracker.events) if event.get("event") == "user"]
    if len(users) < 2:
        return False
    between = tracker.events[users[-2] + 1 : users[-1]]
    names = [e.get("name") for e in between if e.get("event") == "action"]
    # A fallback that handed the message to the procedure (a card number in it) understood it.
    return any(name in FALLBACK_ACTIONS for name in names) and "settle_form" not in names


def acted_this_turn(tracker: Tracker) -> bool:
    """Did an action other than a fallback already run for the latest user message?"""
    return any(
        e.get("event") == "action" and e.get("name") not in (*FALLBACK_ACTIONS, "action_listen", None)
        for e in tracker.events[latest_user_index(tracker) + 1 :]
    )


class ActionFallback(Action):
    """Handles `nlu_fallback`, the policies' fallback and out-of-context answers: say specifically
    what was wrong, or offer the close candidates; the second time in a row, bring in a person."""

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if acted_this_turn(tracker):
            # The policies' fallback after an action already answered this message: reverting it
            # would also undo what that action did (a payment's slots). End the turn instead.
            return [FollowupAction("action_listen")]
        text = str(tracker.latest_message.get("text") or "")
        if previous_turn_not_understood(tracker) and not wordless(text):
            # The second message in a row the assistant could not use: bring in a person.
            return [UserUtteranceReverted(), *await request_handoff(dispatcher, tracker, "repeated_fallback")]
        if tracker.active_loop.get("name"):
            # In the procedure: say so, then ask the pending question again, with its buttons.
            dispatcher.utter_message(response="utter_in_flow_not_understood")
            asked = await ask_again(dispatcher, tracker, domain)
            return [UserUtteranceReverted(), *asked, SlotSet("fallback_streak", True)]
        if latest_metadata(tracker).get("vault", {}).get("card_number_token"):
            # A card number, whatever the words around it: the user is giving a new card.
            return [FollowupAction("settle_form")]
        if wordless(text):
            dispatcher.utter_message(response="utter_empty_message")
            return [UserUtteranceReverted()]
        if len(text) > LONG_MESSAGE:
            dispatcher.utter_message(response="utter_too_long")
            return [UserUtteranceReverted()]
        ranking = tracker.latest_message.get("intent_ranking") or []
        candidates = [r["name"] for r in ranking if r.get("name") in MEANINGFUL][:2]
        if len(candidates) == 2:
            language = language_of(tracker)
            buttons = [
                {"title": label(domain, f"label_{name}", language), "payload": f"/{name}"}
                for name in candidates
            ]
            dispatcher.utter_message(response="utter_did_you_mean", buttons=buttons)
        else:
            dispatcher.utter_message(response="utter_default")
        # A second fallback in a row brings in a person (rule on `fallback_streak`).
        return [UserUtteranceReverted(), SlotSet("fallback_streak", True)]
