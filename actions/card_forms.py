"""Validation shared by the card forms: expiry, security code, invalid-answer counting."""

from __future__ import annotations

from datetime import date
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.billing_client import BillingRefused
from actions.context import BillingAction, label, language_of, latest_metadata
from actions.expiry_parser import ExpiryError, parse_expiry

MAX_INVALID = 2


def vaulted(tracker: Tracker) -> dict[str, Any]:
    """What the input channel vaulted from the latest message (tokens, brand, last four, error)."""
    return dict(latest_metadata(tracker).get("vault") or {})


def invalid(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str) -> dict[str, Any]:
    """Refuse an answer; after two in a row, explain the way out."""
    count = float(tracker.get_slot("invalid_answers") or 0) + 1
    if count >= MAX_INVALID:
        dispatcher.utter_message(response="utter_form_help")
        count = 0
    return {slot: None, "invalid_answers": count}


def valid(slot: str, value: Any) -> dict[str, Any]:
    return {slot: value, "invalid_answers": 0}


def validate_expiry(
    slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
) -> dict[str, Any]:
    text = str(value or "")
    try:
        parsed = parse_expiry(text)
    except ExpiryError as error:
        if error.code == "ambiguous":
            dispatcher.utter_message(response="utter_expiry_ambiguous", value=text, **error.details)
        elif error.code == "bad_month":
            dispatcher.utter_message(response="utter_invalid_month", **error.details)
        else:
            dispatcher.utter_message(response="utter_invalid_expiry_format", value=text[:40])
        return invalid(dispatcher, tracker, slot)
    today = date.today()
    shown = f"{parsed.month:02d}/{parsed.year}"
    if (parsed.year, parsed.month) < (today.year, today.month):
        dispatcher.utter_message(response="utter_expiry_in_past", expiry=shown)
        return invalid(dispatcher, tracker, slot)
    return valid(slot, shown)


def validate_security_code(dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    slot = "security_code_token"
    token = vaulted(tracker).get("security_code_token")
    if token:
        return valid(slot, token)
    dispatcher.utter_message(response="utter_invalid_cvc")
    return invalid(dispatcher, tracker, slot)


def split_expiry(value: str) -> tuple[int, int]:
    month, year = value.split("/")
    return int(month), int(year)


class AsksSecurityCode:
    """Mixed into a form validator whose form asks for the security code (as a vault token)."""

    async def validate_security_code_token(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return validate_security_code(dispatcher, tracker)


class SavesACard(BillingAction):
    """Saves what a card form collected; billing's refusal of the card is told in the user's words."""

    form_slots: tuple[str, ...] = ()

    def refused(
        self, dispatcher: CollectingDispatcher, domain: dict[str, Any], tracker: Tracker, error: Exception
    ) -> bool:
        if not isinstance(error, BillingRefused):
            return False
        reason = label(domain, f"utter_reason_{error.code}", language_of(tracker))
        dispatcher.utter_message(
            response="utter_card_refused", reason=error.message if reason.startswith("utter_") else reason
        )
        return True

    def after_refusal(self) -> list[EventType]:
        return [SlotSet(name, None) for name in self.form_slots]
