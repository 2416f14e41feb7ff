"""Changing the expiration date of the card on file (owner only; the security code is asked)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import card_forms, formatting
from actions.context import (
    BillingAction,
    billing,
    chosen_subscription,
    language_of,
)
from actions.payment import ask_confirmation

FORM_SLOTS = ("new_expiry", "security_code_token")


class ActionCheckCardEditable(BillingAction):
    """Before asking for a new date: is there a card on file, and is it the user's?"""

    def name(self) -> str:
        return "action_check_card_editable"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        sub_id = chosen_subscription(dispatcher, tracker)
        if not sub_id:
            return [SlotSet("card_editable", False)]
        card = (await billing(tracker).subscription(sub_id)).get("payment_method") or {}
        if not card.get("owned_by_caller"):
            dispatcher.utter_message(response="utter_not_card_owner", card=formatting.card(card))
            return [SlotSet("card_editable", False)]
        return [SlotSet("card_editable", True), SlotSet("confirming", False)]

    def after_refusal(self) -> list[EventType]:
        return [SlotSet("card_editable", False)]


class ValidateExpiryForm(card_forms.AsksSecurityCode, FormValidationAction):
    def name(self) -> str:
        return "validate_expiry_form"

    async def validate_new_expiry(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return card_forms.validate_expiry("new_expiry", value, dispatcher, tracker)


class ActionUpdateExpiry(card_forms.SavesACard):
    """Save the new date with the security code, then offer to pay with the card."""

    form_slots = FORM_SLOTS

    def name(self) -> str:
        return "action_update_expiry"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        reset = self.after_refusal()
        sub_id = tracker.get_slot("subscription_id")
        new_expiry, cvc_token = tracker.get_slot("new_expiry"), tracker.get_slot("security_code_token")
        if not (sub_id and new_expiry and cvc_token):
            dispatcher.utter_message(response="utter_need_subscription_first")
            return reset
        month, year = card_forms.split_expiry(new_expiry)
        client = billing(tracker)
        card_id = ((await client.subscription(sub_id)).get("payment_method") or {}).get("id")
        if not card_id:
            dispatcher.utter_message(response="utter_need_subscription_first")
            return reset
        card = await client.update_expiry(card_id, month, year, cvc_token)
        dispatcher.utter_message(
            response="utter_expiry_updated",
            card=formatting.card(card, False),
            expiry=formatting.expiry(card["exp_month"], card["exp_year"]),
        )
        return reset + await ask_confirmation(dispatcher, client, language_of(tracker), sub_id, card)
