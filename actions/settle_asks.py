"""The settle form's questions, asked again as they were: which subscription, what to do, which card,
and the confirmation (subscription, amount and card, with the attempt's idempotency key).

`ASKS` maps each slot to the action that asks it; `ask_again` asks the pending one after a message
the form could not use was answered (actions/fallback.py)."""

from __future__ import annotations

import uuid
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import formatting, other_card, subscriptions
from actions.context import BillingAction, billing, language_of
from actions.settle_slots import intent_of
from clients.billing import BillingClient


async def ask_confirmation(
    dispatcher: CollectingDispatcher, client: BillingClient, language: str, sub_id: str, card_id: str
) -> list[EventType]:
    """Show subscription, amount and card, and fix the idempotency key of this attempt."""
    sub = await client.subscription(sub_id)
    if sub["state"] != "past_due":
        dispatcher.utter_message(response="utter_summary_paid_offer", product=sub["product"])
        return [SlotSet("confirming", False), SlotSet("settle_stop", "paid")]
    card = next((c for c in await client.own_cards() if c["id"] == card_id), None)
    if card is None:  # the card on file of another admin is never paid with here
        card = sub.get("payment_method") or {}
    outstanding = sub["outstanding"]
    amount = formatting.money(outstanding["amount"], outstanding["currency"], language)
    card_label = formatting.card(card)
    dispatcher.utter_message(
        response="utter_confirm_payment", product=sub["product"], card=card_label, amount=amount
    )
    return [
        SlotSet("confirmed_amount", outstanding["amount"]),
        SlotSet("payment_card_label", card_label),
        SlotSet("payment_amount_label", amount),
        SlotSet("subscription", sub["product"]),
        SlotSet("settle_key", f"settle-{uuid.uuid4()}"),
        SlotSet("confirming", True),
    ]


def repeat_confirmation(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Ask the pending confirmation again, as it was shown (no billing call, the same attempt);
    False when none is pending."""
    if not (tracker.get_slot("confirming") and tracker.get_slot("settle_key")):
        return False
    dispatcher.utter_message(
        response="utter_confirm_payment",
        product=tracker.get_slot("subscription"),
        card=tracker.get_slot("payment_card_label"),
        amount=tracker.get_slot("payment_amount_label"),
    )
    return True


class ActionAskSubscriptionId(BillingAction):
    def name(self) -> str:
        return "action_ask_subscription_id"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if tracker.get_slot("subscriptions_listed"):
            return [SlotSet("subscriptions_listed", None)]  # listed with this turn's answer already
        subs = await billing(tracker).past_due_subscriptions()
        if not subs:
            dispatcher.utter_message(response="utter_no_past_due")
            return [SlotSet("settle_stop", "nothing_due")]
        subscriptions.list_choices(dispatcher, subs, language_of(tracker))
        return []


class ActionAskSettleMethod(BillingAction):
    """The subscription's summary (once) and what this user may do about it."""

    def name(self) -> str:
        return "action_ask_settle_method"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        sub_id = str(tracker.get_slot("subscription_id"))
        sub = await billing(tracker).subscription(sub_id)
        if tracker.get_slot("presented") != sub_id or intent_of(tracker) == "repeat":
            subscriptions.summarize(dispatcher, sub, language_of(tracker))
        owned = bool((sub.get("payment_method") or {}).get("owned_by_caller"))
        dispatcher.utter_message(response="utter_options_owner" if owned else "utter_options_not_owner")
        return [SlotSet("presented", sub_id), SlotSet("subscription", sub["product"])]


class ActionAskPaymentMethodId(BillingAction):
    def name(self) -> str:
        return "action_ask_payment_method_id"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        cards = other_card.usable(await billing(tracker).own_cards())
        if not cards:
            dispatcher.utter_message(response="utter_no_other_card")
            return [SlotSet("settle_method", None), SlotSet("method_checked", None)]
        other_card.offer(dispatcher, cards)
        return []


class ActionAskPaymentConfirmed(BillingAction):
    """"Pay €151.20 for … with …?": the same question (and the same attempt) when asked again."""

    def name(self) -> str:
        return "action_ask_payment_confirmed"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if repeat_confirmation(dispatcher, tracker):
            return []
        return await ask_confirmation(
            dispatcher,
            billing(tracker),
            language_of(tracker),
            str(tracker.get_slot("subscription_id")),
            str(tracker.get_slot("payment_method_id")),
        )


ASKS: dict[str, type[BillingAction]] = {
    "subscription_id": ActionAskSubscriptionId,
    "settle_method": ActionAskSettleMethod,
    "payment_method_id": ActionAskPaymentMethodId,
    "payment_confirmed": ActionAskPaymentConfirmed,
}


async def ask_again(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
) -> list[EventType]:
    """The pending question of the procedure again, with its buttons (after a message it could not
    use was answered)."""
    requested = tracker.get_slot("requested_slot")
    if not requested:
        return []
    ask = ASKS.get(str(requested))
    if ask is not None:
        return list(await ask().run(dispatcher, tracker, domain))
    dispatcher.utter_message(response=f"utter_ask_{requested}")
    return []
