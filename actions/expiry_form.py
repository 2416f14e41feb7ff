"""Changing the expiration date of the card on file (owner only; the security code is asked)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import card_forms, formatting
from actions.context import (
    BillingAction,
    BillingRefused,
    BillingUnavailable,
    billing,
    explain_refusal,
    label,
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
        sub_id = tracker.get_slot("subscription_id")
        if not sub_id:
            dispatcher.utter_message(response="utter_need_subscription_first")
            return [SlotSet("card_editable", False)]
        card = (await billing(tracker).subscription(sub_id)).get("payment_method") or {}
        if not card.get("owned_by_caller"):
            dispatcher.utter_message(response="utter_not_card_owner", card=formatting.card(card))
            return [SlotSet("card_editable", False)]
        return [SlotSet("card_editable", True), SlotSet("confirming", False)]

    def after_refusal(self) -> list[EventType]:
        return [SlotSet("card_editable", False)]


class ValidateExpiryForm(FormValidationAction):
    def name(self) -> str:
        return "validate_expiry_form"

    async def validate_new_expiry(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return card_forms.validate_expiry("new_expiry", value, dispatcher, tracker)

    async def validate_security_code_token(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return card_forms.validate_security_code(dispatcher, tracker)


class ActionUpdateExpiry(Action):
    """Save the new date with the security code, then offer to pay with the card."""

    def name(self) -> str:
        return "action_update_expiry"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        reset: list[EventType] = [SlotSet(name, None) for name in FORM_SLOTS]
        sub_id = tracker.get_slot("subscription_id")
        new_expiry = tracker.get_slot("new_expiry")
        cvc_token = tracker.get_slot("security_code_token")
        if not (sub_id and new_expiry and cvc_token):
            dispatcher.utter_message(response="utter_need_subscription_first")
            return reset
        month, year = card_forms.split_expiry(new_expiry)
        client = billing(tracker)
        language = language_of(tracker)
        try:
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
            return reset + await ask_confirmation(dispatcher, client, language, sub_id, card)
        except BillingRefused as error:
            if explain_refusal(dispatcher, error):
                return reset
            reason = label(domain, f"utter_reason_{error.code}", language)
            if reason.startswith("utter_"):
                reason = error.message
            dispatcher.utter_message(response="utter_card_refused", reason=reason)
            return reset
        except BillingUnavailable as error:
            explain_refusal(dispatcher, error)
            return reset
