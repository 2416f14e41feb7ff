"""The payment at the end of the settle form (`action_settle`): charge the confirmed amount under the
attempt's idempotency key, or say why not, then offer the next past-due subscription.

An unknown outcome keeps the key (saying yes again cannot charge twice); after
`PAYMENT_FAILURES_BEFORE_HANDOFF` declined payments in a row a support agent is brought in."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import formatting, subscriptions
from actions.context import (
    BillingAction,
    BillingRefused,
    BillingUnavailable,
    billing,
    explain_refusal,
    label,
    language_of,
)
from actions.settle_slots import end_attempt, end_choice, intent_of
from clients.billing import BillingClient

PAYMENT_FAILURES_BEFORE_HANDOFF = 3


class ActionSettle(BillingAction):
    """The form is complete: charge the confirmed amount under the attempt's idempotency key, or not."""

    def name(self) -> str:
        return "action_settle"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if tracker.get_slot("settle_stop"):
            if tracker.get_slot("settle_stop") == "paid":
                return [*end_choice(), SlotSet("subscription_id", None)]
            # Already explained; the rest is kept for "Try again".
            return [SlotSet("settle_stop", None), SlotSet("confirming", False)]
        confirmed = tracker.get_slot("payment_confirmed")
        if intent_of(tracker) in ("affirm", "deny"):  # the answer of this very message decides
            confirmed = intent_of(tracker) == "affirm"
        if confirmed is not True:
            dispatcher.utter_message(response="utter_payment_not_confirmed")
            return end_choice()
        sub_id, card_id = tracker.get_slot("subscription_id"), tracker.get_slot("payment_method_id")
        key = tracker.get_slot("settle_key")
        if not (tracker.get_slot("confirming") and sub_id and card_id and key):
            dispatcher.utter_message(response="utter_nothing_to_confirm_offer")
            return end_attempt()
        language = language_of(tracker)
        client = billing(tracker)
        try:
            paid = await client.settle(sub_id, card_id, tracker.get_slot("confirmed_amount"), key)
        except BillingUnavailable:
            # Unknown outcome: keep the key, so saying yes again cannot charge twice; the "yes" was
            # this message's only (asked again, the question needs a new answer).
            dispatcher.utter_message(response="utter_payment_outcome_unknown")
            return [SlotSet("confirming", True), SlotSet("payment_confirmed", None)]
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
        await offer_next(dispatcher, client, language)
        return [
            *end_choice(),
            SlotSet("subscription_id", None),
            SlotSet("subscription", None),
            SlotSet("presented", None),
            SlotSet("failed_attempts", 0),
        ]

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
                return [*end_choice(), SlotSet("failed_attempts", 0), SlotSet("payments_keep_failing", True)]
            return [*end_choice(), SlotSet("failed_attempts", failures)]
        if error.code == "nothing_to_settle":
            product = tracker.get_slot("subscription")
            dispatcher.utter_message(response="utter_summary_paid_offer", product=product)
            return [*end_choice(), SlotSet("subscription_id", None)]
        if error.code == "not_card_owner":
            dispatcher.utter_message(
                response="utter_not_card_owner", card=tracker.get_slot("payment_card_label")
            )
        elif error.code == "amount_mismatch":
            dispatcher.utter_message(response="utter_balance_changed")
        elif explain_refusal(dispatcher, error):
            if error.status == 401 or error.code == "too_many_attempts":
                # Signed out, or paused for a while: the attempt (and its key) waits for "yes" again.
                return [SlotSet("confirming", True), SlotSet("payment_confirmed", None)]
        else:
            raise error
        return end_choice()


async def offer_next(dispatcher: CollectingDispatcher, client: BillingClient, language: str) -> None:
    """After a payment: the next past-due subscription to settle, or what else there is to do."""
    try:
        remaining = await client.past_due_subscriptions()
    except (BillingRefused, BillingUnavailable):
        remaining = []
    if remaining:
        subscriptions.list_choices(dispatcher, remaining, language, response="utter_settle_next")
    else:
        dispatcher.utter_message(response="utter_anything_else")
