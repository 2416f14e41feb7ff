"""What the procedure "Settle an outstanding balance" keeps in slots, and how it forgets it.

The ways to pay (`METHODS`) and the card details each needs, the slots of one payment attempt, what
ends an attempt, a choice or the whole procedure; and what the latest message says about the
procedure: its intent, an entity, the card details it gives besides the pending answer. Shared by
the form (actions/settle.py), its questions (actions/settle_asks.py), the payment
(actions/settle_payment.py) and the handoff (actions/handoff.py)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet

from actions import add_card, details, update_expiry
from actions.context import latest_user_index

METHODS: dict[str, tuple[str, ...]] = {
    "retry_card": (),
    "update_expiry": update_expiry.DETAILS,
    "use_other_card": (),
    "add_card": add_card.DETAILS,
}
DETAILS = tuple(dict.fromkeys(slot for slots in METHODS.values() for slot in slots))
SAVED_BY = {"update_expiry": update_expiry, "add_card": add_card}
ATTEMPT_SLOTS = (
    "settle_key",
    "confirmed_amount",
    "payment_card_label",
    "payment_amount_label",
    "payment_confirmed",
)
# Messages that are about the procedure: when they say nothing new, the pending question is asked
# again. Any other message the form cannot use is left to the rules (interjections).
PROCEDURE_INTENTS = {
    "settle_balance",
    "choose_subscription",
    "inform",
    "repeat",
    "card_added",
    *METHODS,
}


def end_attempt() -> list[EventType]:
    return [SlotSet("confirming", False), *(SlotSet(name, None) for name in ATTEMPT_SLOTS)]


def end_choice() -> list[EventType]:
    """Forget how the user wanted to pay (after a payment, a decline, a no): the subscription stays."""
    return [
        *end_attempt(),
        SlotSet("settle_method", None),
        SlotSet("method_checked", None),
        SlotSet("payment_method_id", None),
        SlotSet("new_card_label", None),
        SlotSet("invalid_answers", 0),
        SlotSet("settle_stop", None),
        *(SlotSet(name, None) for name in DETAILS),
    ]


def forget_flow() -> list[EventType]:
    """Stop the form and forget the payment in progress: nothing was charged."""
    return [
        ActiveLoop(None),
        *end_choice(),
        SlotSet("subscription_id", None),
        SlotSet("subscription", None),
        SlotSet("presented", None),
        SlotSet("requested_slot", None),
    ]


def slots_before_latest_message(tracker: Tracker) -> dict[str, Any]:
    """Slot values as they were when the user sent the latest message."""
    values: dict[str, Any] = {}
    for event in tracker.events[: latest_user_index(tracker)]:
        if event.get("event") == "slot":
            values[event["name"]] = event.get("value")
        elif event.get("event") == "restart":
            values = {}
    return values


def intent_of(tracker: Tracker) -> str:
    return str((tracker.latest_message.get("intent") or {}).get("name") or "")


def latest_entity(tracker: Tracker, name: str) -> str | None:
    value = next(tracker.get_latest_entity_values(name), None)
    return str(value) if value is not None else None


def detail_mentions(tracker: Tracker, method: str | None) -> dict[str, Any]:
    """The card details the latest message gives besides the answer to the pending question."""
    requested = tracker.get_slot("requested_slot")
    text = details.latest_text(tracker)
    vault = details.vaulted(tracker)
    found: dict[str, Any] = {}
    date_slot = {"update_expiry": "new_expiry", "add_card": "card_expiry"}.get(method or "")
    if date_slot and requested != date_slot:
        value = details.mentioned_expiry(text, tracker.get_slot(date_slot))
        if value:
            found[date_slot] = value
    # What the channel vaulted is card data whatever the words around it ("ma carte est la 4242…,
    # merci" reads as thanks): taken even when the NLU saw no answer in the message.
    if method in SAVED_BY and vault.get("security_code_token"):
        found["security_code_token"] = vault["security_code_token"]
    if method == "add_card" and vault.get("card_number_token"):
        found["card_number_token"] = vault["card_number_token"]
    if method == "add_card" and requested != "card_holder":
        holder = details.mentioned_holder(text)
        if holder:
            found["card_holder"] = holder
    return found


def answered_something_else(tracker: Tracker, slot: str) -> bool:
    """Did the latest message give another detail (or a choice) rather than answer `slot`? Then a
    refused answer to `slot` is not an error to point out: the message was not meant for it."""
    method = tracker.get_slot("settle_method")
    mentions = set(detail_mentions(tracker, method)) - {slot}
    named = latest_entity(tracker, "subscription") or latest_entity(tracker, "last_four")
    return bool(mentions or named or intent_of(tracker) in (*METHODS, "choose_subscription"))
