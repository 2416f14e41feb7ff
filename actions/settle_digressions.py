"""What the rules run beside the settle form: cancelling it at any step, and explaining the balance
(a digression, after which the form asks its pending question again)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import subscriptions
from actions.context import BillingAction, billing, language_of
from actions.settle_slots import forget_flow


class ActionCancelPayment(Action):
    """Cancel at any step: stop the form, forget the attempt, nothing charged."""

    def name(self) -> str:
        return "action_cancel_payment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_cancelled")
        return forget_flow()


class ActionExplainBalance(BillingAction):
    """A digression ("how much again?", "why is it past due?"): answer; the form asks again after."""

    def name(self) -> str:
        return "action_explain_balance"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = language_of(tracker)
        client = billing(tracker)
        sub_id = tracker.get_slot("subscription_id")
        if sub_id:
            subscriptions.summarize(dispatcher, await client.subscription(sub_id), language)
        else:
            subs = await client.past_due_subscriptions()
            if not subs:
                # Nothing is past due: offering to settle "it" would contradict the answer.
                dispatcher.utter_message(response="utter_no_past_due")
                return []
            for sub in subs:
                subscriptions.summarize(dispatcher, sub, language)
        if not tracker.active_loop.get("name"):
            dispatcher.utter_message(response="utter_offer_settle")
        return []
