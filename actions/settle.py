"""Charging the balance once the user confirmed, and backing out of it."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import formatting
from actions.context import (
    BillingRefused,
    BillingUnavailable,
    billing,
    explain_refusal,
    label,
    language_of,
)

PAYMENT_FAILURES_BEFORE_HANDOFF = 3
ATTEMPT_SLOTS = (
    "payment_method_id",
    "settle_key",
    "confirmed_amount",
    "payment_card_label",
    "payment_amount_label",
)


FORM_SLOTS = ("new_expiry", "security_code_token", "card_number_token", "card_expiry", "card_holder")


def end_attempt() -> list[EventType]:
    return [SlotSet("confirming", False), *(SlotSet(name, None) for name in ATTEMPT_SLOTS)]


def forget_flow() -> list[EventType]:
    """Stop any form and forget the payment in progress: nothing was charged."""
    return [
        ActiveLoop(None),
        *end_attempt(),
        SlotSet("subscription_id", None),
        SlotSet("invalid_answers", 0),
        *(SlotSet(name, None) for name in (*FORM_SLOTS, "requested_slot")),
    ]


class ActionSettle(Action):
    """Charge the confirmed amount under the attempt's idempotency key."""

    def name(self) -> str:
        return "action_settle"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        sub_id, card_id = tracker.get_slot("subscription_id"), tracker.get_slot("payment_method_id")
        key = tracker.get_slot("settle_key")
        if not (tracker.get_slot("confirming") and sub_id and card_id and key):
            dispatcher.utter_message(response="utter_nothing_to_confirm")
            return end_attempt()
        language = language_of(tracker)
        try:
            paid = await billing(tracker).settle(sub_id, card_id, tracker.get_slot("confirmed_amount"), key)
        except BillingUnavailable:
            # Unknown outcome: keep the key, so saying yes again cannot charge twice.
            dispatcher.utter_message(response="utter_payment_outcome_unknown")
            return [SlotSet("confirming", True)]
        except BillingRefused as error:
            return self._refused(dispatcher, tracker, domain, error, language)
        card = formatting.card(paid["payment_method"])
        dispatcher.utter_message(
            response="utter_payment_succeeded",
            card=card,
            receipt=paid["receipt_ref"],
            amount=formatting.money(paid["amount"]["amount"], paid["amount"]["currency"], language),
            product=tracker.get_slot("subscription"),
        )
        if paid["also_updated"]:
            dispatcher.utter_message(
                response="utter_card_now_pays", card=card, products=", ".join(paid["also_updated"])
            )
        return [*end_attempt(), SlotSet("subscription_id", None), SlotSet("failed_attempts", 0)]

    def _refused(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        error: BillingRefused,
        language: str,
    ) -> list[EventType]:
        if error.status == 402:
            failures = float(tracker.get_slot("failed_attempts") or 0) + 1
            dispatcher.utter_message(
                response="utter_payment_failed",
                reason=label(domain, f"utter_reason_{error.code}", language),
                amount=tracker.get_slot("payment_amount_label"),
                card=tracker.get_slot("payment_card_label"),
            )
            if failures >= PAYMENT_FAILURES_BEFORE_HANDOFF:
                # The rule on `payments_keep_failing` brings in a support agent.
                return [*end_attempt(), SlotSet("failed_attempts", 0), SlotSet("payments_keep_failing", True)]
            return [*end_attempt(), SlotSet("failed_attempts", failures)]
        if error.code == "nothing_to_settle":
            dispatcher.utter_message(response="utter_summary_paid", product=tracker.get_slot("subscription"))
        elif error.code == "not_card_owner":
            dispatcher.utter_message(
                response="utter_not_card_owner", card=tracker.get_slot("payment_card_label")
            )
        elif error.code == "amount_mismatch":
            dispatcher.utter_message(response="utter_balance_changed")
        elif not explain_refusal(dispatcher, error):
            raise error
        return end_attempt()


class ActionPaymentNotConfirmed(Action):
    def name(self) -> str:
        return "action_payment_not_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_payment_not_confirmed")
        return end_attempt()


class ActionCancelPayment(Action):
    """Cancel at any step: stop the form, forget the attempt, nothing charged."""

    def name(self) -> str:
        return "action_cancel_payment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_cancelled")
        return forget_flow()
