"""The procedure "Settle an outstanding balance" as one form, `settle_form`:

    subscription → what to do (retry the card on file, change its expiry, another card, a new card)
                 → that choice's details → confirmation → payment (`action_settle`).

Its required slots depend on what is already known (`required_slots`), and every message while it
runs is read for anything it says about the procedure (`get_validation_events`): a subscription
named, a choice made or changed, several answers at once, a correction of an earlier answer. A
message that says nothing about it (a question, small talk, a language switch) is left to the rules,
which answer it and run the form again: the pending question is then asked again, with its buttons.

The rest of the procedure: its slots and what a message says about it (actions/settle_slots.py), the
form's steps that ask billing (actions/settle_steps.py), its questions (actions/settle_asks.py), the
payment (actions/settle_payment.py), cancelling and explaining the balance (actions/settle_digressions.py)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import add_card, details, settle_steps
from actions.context import BillingRefused, BillingUnavailable, billing, explain_refusal
from actions.settle_slots import (
    METHODS,
    PROCEDURE_INTENTS,
    SAVED_BY,
    answered_something_else,
    detail_mentions,
    end_attempt,
    intent_of,
    latest_entity,
    slots_before_latest_message,
)


class ValidateSettleForm(FormValidationAction):
    def name(self) -> str:
        return "validate_settle_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot("settle_stop"):
            return []
        method = tracker.get_slot("settle_method")
        slots = ["subscription_id", "settle_method"]
        if method in METHODS:
            if tracker.get_slot("payment_method_id") is None:
                slots += METHODS[method]
            slots.append("payment_method_id")
        return [*slots, "payment_confirmed"]

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            events: list[EventType] = await super().run(dispatcher, tracker, domain)
            return events
        except (BillingRefused, BillingUnavailable) as error:
            if not explain_refusal(dispatcher, error):
                raise
            # Signed out, no billing role, too many attempts, billing down: stop here, keep the rest
            # ("Try again" resumes the procedure where it stood).
            # A security code is used once: after a failed save it is asked again, never reused.
            events = [
                SlotSet("settle_stop", "refused"),
                SlotSet("requested_slot", None),
                SlotSet("security_code_token", None),
            ]
            if isinstance(error, BillingRefused) and error.code == "billing_role_required":
                events.append(SlotSet("no_billing_role", True))
            return events

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        before = slots_before_latest_message(tracker)
        method = tracker.get_slot("settle_method")
        if method is None and details.vaulted(tracker).get("card_number_token"):
            method = "add_card"  # a card number given with no choice made: a new card
            tracker.add_slots([SlotSet("settle_method", method)])
        elif method is None and details.mentioned_expiry(details.latest_text(tracker), None):
            method = "update_expiry"  # a date given while the choice is asked: the card on file's new one
            tracker.add_slots([SlotSet("settle_method", method)])
        elif method is None and (latest_entity(tracker, "last_four") or latest_entity(tracker, "card_brand")):
            method = "use_other_card"  # "with my Visa 1881": one of the user's own cards
            tracker.add_slots([SlotSet("settle_method", method)])
        elif (
            method == "update_expiry"
            and before.get("settle_method") == "add_card"
            and before.get("card_number_token")
            and details.mentioned_expiry(details.latest_text(tracker), None)
        ):
            # "sorry, the expiry is 06/2031" while a new card is being given: that card's date, however
            # the NLU names it; changing the card on file's date is asked without a date.
            method = "add_card"
            tracker.add_slots([SlotSet("settle_method", method)])
        mentions = detail_mentions(tracker, method)
        if mentions:
            tracker.add_slots([SlotSet(slot, value) for slot, value in mentions.items()])
        validated = {
            event["name"]: event["value"]
            for event in await super().get_validation_events(dispatcher, tracker, domain)
        }
        tracker.slots.update(validated)
        changes = {**validated, **await self.advance(dispatcher, tracker, domain, before, set(validated))}
        self.acknowledge(dispatcher, before, changes)
        return [SlotSet(slot, value) for slot, value in changes.items()]

    @staticmethod
    def acknowledge(
        dispatcher: CollectingDispatcher, before: dict[str, Any], changes: dict[str, Any]
    ) -> None:
        """A correction of an earlier answer is acknowledged: "Updated: 03/2031"."""
        for slot in ("new_expiry", "card_expiry", "card_holder"):
            old, new = before.get(slot), changes.get(slot)
            if old and new and old != new:
                dispatcher.utter_message(response="utter_updated", value=new)
        for slot in ("security_code_token", "card_number_token"):
            old, new = before.get(slot), changes.get(slot)
            if old and new and old != new:
                dispatcher.utter_message(response=f"utter_updated_{slot}")

    async def advance(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        before: dict[str, Any],
        set_now: set[str],
    ) -> dict[str, Any]:
        """What the message means for the procedure as a whole; billing is asked only when needed."""
        changes: dict[str, Any] = {}

        def put(slot: str, value: Any) -> None:
            changes[slot] = value
            tracker.slots[slot] = value

        client = billing(tracker)
        intent = intent_of(tracker)
        await settle_steps.subscription(dispatcher, tracker, client, intent, put)
        if tracker.get_slot("settle_stop"):
            return changes
        sub_id = tracker.get_slot("subscription_id")
        if any(
            before.get(slot) and tracker.get_slot(slot) and tracker.get_slot(slot) != before[slot]
            for slot in ("subscription_id", "settle_method")
        ):
            settle_steps.forget_path(tracker, put, set_now)
        await settle_steps.added_card(dispatcher, tracker, client, put)
        method = tracker.get_slot("settle_method")
        key = f"{sub_id}:{method}"
        if sub_id and method in METHODS and tracker.get_slot("method_checked") != key:
            await settle_steps.check_method(dispatcher, tracker, client, str(sub_id), str(method), put)
        method = tracker.get_slot("settle_method")
        if method == "use_other_card" and tracker.get_slot("method_checked"):
            await settle_steps.named_card(dispatcher, tracker, client, put)
        if method in SAVED_BY and tracker.get_slot("method_checked"):
            await settle_steps.save(dispatcher, tracker, domain, client, str(method), put)
        moved = any(
            tracker.get_slot(slot) != before.get(slot)
            for slot in ("subscription_id", "settle_method", "payment_method_id")
        )
        if moved and tracker.get_slot("confirming"):
            for event in end_attempt():  # the confirmation shown no longer holds
                put(event["name"], event["value"])
        if not changes and intent in PROCEDURE_INTENTS:
            put("subscription_id", sub_id)  # nothing new: the pending question again
        return changes

    # Each answer, when it is the one asked for or given along with another.
    async def validate_settle_method(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"settle_method": value if value in METHODS else None}

    async def validate_payment_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"payment_confirmed": value if isinstance(value, bool) else None}

    async def validate_new_expiry(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        quiet = answered_something_else(tracker, "new_expiry")
        return details.validate_expiry("new_expiry", value, dispatcher, tracker, quiet)

    async def validate_card_expiry(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        quiet = answered_something_else(tracker, "card_expiry")
        return details.validate_expiry("card_expiry", value, dispatcher, tracker, quiet)

    async def validate_security_code_token(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        quiet = answered_something_else(tracker, "security_code_token")
        return details.validate_security_code(dispatcher, tracker, quiet)

    async def validate_card_number_token(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        quiet = answered_something_else(tracker, "card_number_token")
        return add_card.number_answer(dispatcher, tracker, quiet)

    async def validate_card_holder(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        quiet = answered_something_else(tracker, "card_holder")
        return add_card.holder_answer(value, dispatcher, tracker, quiet)
