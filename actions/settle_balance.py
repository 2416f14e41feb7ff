"""Finding the past-due subscription: list, choose, explain."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import subscriptions
from actions.context import BillingAction, billing, language_of


class ActionListPastDue(BillingAction):
    """Lists past-due subscriptions; with exactly one, goes straight to its options."""

    def name(self) -> str:
        return "action_list_past_due"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = language_of(tracker)
        subs = await billing(tracker).past_due_subscriptions()
        if not subs:
            dispatcher.utter_message(response="utter_no_past_due")
            return [SlotSet("subscription_id", None)]
        named = tracker.get_slot("subscription")
        chosen = subscriptions.match(subs, named) if named else None
        if named and chosen is None:
            # Paid meanwhile (a stale portal button) or unknown: say so, never settle another silently.
            subscriptions.list_choices(
                dispatcher, subs, language, response="utter_subscription_unknown", name=named
            )
            return [SlotSet("subscription", None), SlotSet("subscription_id", None)]
        if len(subs) == 1 or chosen:
            return subscriptions.present(dispatcher, chosen or subs[0], language)
        subscriptions.list_choices(dispatcher, subs, language)
        return [SlotSet("subscription_id", None)]


class ActionSelectSubscription(BillingAction):
    """The user named a subscription (button or free text): check it is theirs and past due."""

    def name(self) -> str:
        return "action_select_subscription"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = language_of(tracker)
        named = tracker.get_slot("subscription") or tracker.latest_message.get("text") or ""
        subs = await billing(tracker).past_due_subscriptions()
        if not subs:
            dispatcher.utter_message(response="utter_no_past_due")
            return [SlotSet("subscription_id", None)]
        chosen = subscriptions.match(subs, named)
        if chosen is None:
            subscriptions.list_choices(
                dispatcher, subs, language, response="utter_subscription_unknown", name=named
            )
            return [SlotSet("subscription", None)]
        return subscriptions.present(dispatcher, chosen, language)


class ActionExplainBalance(BillingAction):
    """A digression ("how much again?", "why is it past due?"): answer, then carry on."""

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
            return []
        subs = await client.past_due_subscriptions()
        if not subs:
            dispatcher.utter_message(response="utter_no_past_due")
        for sub in subs:
            subscriptions.summarize(dispatcher, sub, language)
        return []
