"""Adding a new card in the chat: the number and security code arrive as vault tokens only."""

from __future__ import annotations

import re
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

FORM_SLOTS = ("card_number_token", "card_expiry", "security_code_token", "card_holder", "new_card_label")
HOLDER = re.compile(r"^[^\W\d_][^\d_]{0,98}[^\W\d_]$")


class ValidateCardForm(card_forms.AsksSecurityCode, FormValidationAction):
    def name(self) -> str:
        return "validate_card_form"

    async def validate_card_number_token(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        vault = card_forms.vaulted(tracker)
        token = vault.get("card_number_token")
        if token:
            shown = formatting.card({"brand": vault.get("brand"), "last4": vault.get("last4")}, False)
            return {**card_forms.valid("card_number_token", token), "new_card_label": shown}
        if vault.get("error") == "partial_card_number":  # the first part of a number typed in parts
            dispatcher.utter_message(response="utter_card_number_first_part")
            return {"card_number_token": None}
        dispatcher.utter_message(response="utter_invalid_card_number")
        return card_forms.invalid(dispatcher, tracker, "card_number_token")

    async def validate_card_expiry(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return card_forms.validate_expiry("card_expiry", value, dispatcher, tracker)

    async def validate_card_holder(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        name = " ".join(str(value or "").split())
        if HOLDER.match(name):
            return card_forms.valid("card_holder", name)
        dispatcher.utter_message(response="utter_invalid_holder")
        return card_forms.invalid(dispatcher, tracker, "card_holder")


class ActionAddCard(card_forms.SavesACard):
    """Save the vaulted card for the user, then offer to pay with it."""

    form_slots = FORM_SLOTS

    def name(self) -> str:
        return "action_add_card"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        reset = self.after_refusal()
        number_token = tracker.get_slot("card_number_token")
        cvc_token = tracker.get_slot("security_code_token")
        expiry, holder = tracker.get_slot("card_expiry"), tracker.get_slot("card_holder")
        if not (number_token and cvc_token and expiry and holder):
            return reset
        month, year = card_forms.split_expiry(expiry)
        client = billing(tracker)
        card = await client.add_card(number_token, month, year, cvc_token, holder)
        dispatcher.utter_message(response="utter_card_added", card=formatting.card(card))
        sub_id = chosen_subscription(dispatcher, tracker)
        if not sub_id:
            return reset
        return reset + await ask_confirmation(dispatcher, client, language_of(tracker), sub_id, card)


class ActionUseAddedCard(BillingAction):
    """A card saved through the widget's secure form (straight to the vault): offer to pay with it."""

    def name(self) -> str:
        return "action_use_added_card"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        reset = self.after_refusal()
        card_id = next(tracker.get_latest_entity_values("added_card_id"), None)
        client = billing(tracker)
        card = next((c for c in await client.own_cards() if c["id"] == card_id), None)
        if card is None:
            dispatcher.utter_message(response="utter_card_not_found", wanted=str(card_id or "")[:40])
            return reset
        if not tracker.get_slot("subscription_id"):
            dispatcher.utter_message(response="utter_card_added", card=formatting.card(card))
        sub_id = chosen_subscription(dispatcher, tracker)
        if not sub_id:
            return reset
        return reset + await ask_confirmation(dispatcher, client, language_of(tracker), sub_id, card)

    def after_refusal(self) -> list[EventType]:
        return [SlotSet(name, None) for name in (*FORM_SLOTS, "added_card_id")]
