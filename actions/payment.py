"""Choosing how to pay: retry the card on file, or pick another of the user's cards."""

from __future__ import annotations

import json
import uuid
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import formatting
from actions.billing_client import BillingClient
from actions.context import BillingAction, billing, chosen_subscription, language_of


async def ask_confirmation(
    dispatcher: CollectingDispatcher, client: BillingClient, language: str, sub_id: str, card: dict[str, Any]
) -> list[EventType]:
    """Show subscription, amount and card, and fix the idempotency key of this attempt."""
    sub = await client.subscription(sub_id)
    if sub["state"] != "past_due":
        dispatcher.utter_message(response="utter_summary_paid", product=sub["product"])
        return [SlotSet("confirming", False)]
    outstanding = sub["outstanding"]
    amount = formatting.money(outstanding["amount"], outstanding["currency"], language)
    card_label = formatting.card(card)
    dispatcher.utter_message(
        response="utter_confirm_payment", product=sub["product"], card=card_label, amount=amount
    )
    return [
        SlotSet("payment_method_id", card["id"]),
        SlotSet("confirmed_amount", outstanding["amount"]),
        SlotSet("payment_card_label", card_label),
        SlotSet("payment_amount_label", amount),
        SlotSet("subscription", sub["product"]),
        SlotSet("settle_key", f"settle-{uuid.uuid4()}"),
        SlotSet("confirming", True),
    ]


class ActionRetryCard(BillingAction):
    """Retry the card on file: only its owner may, and not while it is expired."""

    def name(self) -> str:
        return "action_retry_card"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        sub_id = chosen_subscription(dispatcher, tracker)
        if not sub_id:
            return [SlotSet("confirming", False)]
        client = billing(tracker)
        card = (await client.subscription(sub_id)).get("payment_method") or {}
        if not card.get("owned_by_caller"):
            dispatcher.utter_message(response="utter_not_card_owner", card=formatting.card(card))
            return [SlotSet("confirming", False)]
        if card.get("expired"):
            dispatcher.utter_message(
                response="utter_card_expired_cannot_retry",
                card=formatting.card(card, False),
                expiry=formatting.expiry(card["exp_month"], card["exp_year"]),
            )
            return [SlotSet("confirming", False)]
        return await ask_confirmation(dispatcher, client, language_of(tracker), sub_id, card)


def pick(cards: list[dict[str, Any]], brand: str | None, last_four: str | None) -> list[dict[str, Any]]:
    found = cards
    if last_four:
        found = [c for c in found if c["last4"] == last_four]
    if brand:
        found = [c for c in found if c["brand"] == brand.lower()]
    return found


class ActionOfferCards(BillingAction):
    """Pay with another of the user's own cards: the one they named, or buttons to choose."""

    def name(self) -> str:
        return "action_offer_cards"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        sub_id = chosen_subscription(dispatcher, tracker)
        if not sub_id:
            return []
        client = billing(tracker)
        # Only what this message named: an older mention must not narrow the choice.
        brand = next(tracker.get_latest_entity_values("card_brand"), None)
        last_four = next(tracker.get_latest_entity_values("last_four"), None)
        reset = [SlotSet("card_brand", None), SlotSet("last_four", None), SlotSet("confirming", False)]
        usable = [c for c in await client.own_cards() if not c.get("expired")]
        if not usable:
            dispatcher.utter_message(response="utter_no_other_card")
            return reset
        if brand or last_four:
            found = pick(usable, brand, last_four)
            if len(found) == 1:
                return reset + await ask_confirmation(
                    dispatcher, client, language_of(tracker), sub_id, found[0]
                )
            wanted = " ".join(part for part in (brand, last_four) if part)
            dispatcher.utter_message(response="utter_card_not_found", wanted=wanted)
        buttons = [
            {
                "title": formatting.card(c),
                "payload": "/use_other_card"
                + json.dumps({"last_four": c["last4"], "card_brand": c["brand"]}),
            }
            for c in usable
        ]
        dispatcher.utter_message(response="utter_choose_card", buttons=buttons)
        return reset
