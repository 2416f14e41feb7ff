"""Changing the expiration date of the card on file: only its owner may; the security code is asked."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import details, formatting
from clients.billing import BillingClient, Card

DETAILS = ("new_expiry", "security_code_token")
# Which answer a refusal of billing's is about: only that one is asked again.
REFUSED_DETAIL = {
    "invalid_cvc": ("security_code_token",),
    "incorrect_cvc": ("security_code_token",),
    "vault_token_expired": ("security_code_token",),
    "expiry_in_past": ("new_expiry",),
    "invalid_expiry_month": ("new_expiry",),
    "invalid_expiry_year": ("new_expiry",),
}


def refusal(card: Card) -> str | None:
    """Why this user may not change the card on file (a response name), or None."""
    if not card:
        return "utter_no_card_on_file"
    if not card.get("owned_by_caller") or not card.get("id"):  # billing hides another admin's card id
        return "utter_not_card_owner"
    return None


async def save(
    dispatcher: CollectingDispatcher, tracker: Tracker, client: BillingClient, card: Card
) -> Card:
    """Save the new date on the card on file; the card is then the one to pay with."""
    month, year = details.split_expiry(str(tracker.get_slot("new_expiry")))
    cvc_token = str(tracker.get_slot("security_code_token"))
    saved = await client.update_expiry(str(card.get("id")), month, year, cvc_token)
    dispatcher.utter_message(
        response="utter_expiry_updated",
        card=formatting.card(saved, False),
        expiry=formatting.expiry(saved.get("exp_month") or month, saved.get("exp_year") or year),
    )
    return saved
