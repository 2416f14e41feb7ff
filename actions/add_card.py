"""Adding a new card: the number and security code arrive as vault tokens only (channels/vault.py)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import details, formatting
from clients.billing import BillingClient, Card

DETAILS = ("card_number_token", "card_expiry", "security_code_token", "card_holder")
REFUSED_DETAIL = {
    "invalid_card_number": ("card_number_token",),
    "card_number_token_expired": ("card_number_token",),
    "invalid_cvc": ("security_code_token",),
    "incorrect_cvc": ("security_code_token",),
    "vault_token_expired": ("card_number_token", "security_code_token"),
    "expiry_in_past": ("card_expiry",),
    "invalid_expiry_month": ("card_expiry",),
    "invalid_expiry_year": ("card_expiry",),
    "invalid_holder": ("card_holder",),
}


def number_answer(dispatcher: CollectingDispatcher, tracker: Tracker, quiet: bool) -> dict[str, Any]:
    """The card number's vault token from the latest message, or why there is none."""
    vault = details.vaulted(tracker)
    token = vault.get("card_number_token")
    if token:
        shown = formatting.card({"brand": vault.get("brand"), "last4": vault.get("last4")}, False)
        return {**details.valid("card_number_token", token), "new_card_label": shown}
    if vault.get("error") == "partial_card_number":  # the first part of a number typed in parts
        dispatcher.utter_message(response="utter_card_number_first_part")
        return {"card_number_token": None}
    if quiet and vault.get("error") != "invalid_card_number":
        return {"card_number_token": None}
    dispatcher.utter_message(response="utter_invalid_card_number")
    return details.invalid(dispatcher, tracker, "card_number_token")


def holder_answer(
    value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, quiet: bool
) -> dict[str, Any]:
    name = details.mentioned_holder(str(value or "")) or " ".join(str(value or "").split())
    if details.HOLDER_NAME.match(name):
        return details.valid("card_holder", name)
    if quiet:
        return {"card_holder": None}
    dispatcher.utter_message(response="utter_invalid_holder")
    return details.invalid(dispatcher, tracker, "card_holder")


async def save(dispatcher: CollectingDispatcher, tracker: Tracker, client: BillingClient) -> Card:
    """Save the vaulted card for the user; it is then the one to pay with."""
    month, year = details.split_expiry(str(tracker.get_slot("card_expiry")))
    card = await client.add_card(
        str(tracker.get_slot("card_number_token")),
        month,
        year,
        str(tracker.get_slot("security_code_token")),
        str(tracker.get_slot("card_holder")),
    )
    dispatcher.utter_message(response="utter_card_added", card=formatting.card(card))
    return card
