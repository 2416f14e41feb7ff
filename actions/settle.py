"""The procedure "Settle an outstanding balance" as one form, `settle_form`:

    subscription → what to do (retry the card on file, change its expiry, another card, a new card)
                 → that choice's details → confirmation → payment (`action_settle`).

Its required slots depend on what is already known (`required_slots`), and every message while it
runs is read for anything it says about the procedure (`get_validation_events`): a subscription
named, a choice made or changed, several answers at once, a correction of an earlier answer. A
message that says nothing about it (a question, small talk, a language switch) is left to the rules,
which answer it and run the form again: the pending question is then asked again, with its buttons."""

from __future__ import annotations

import re
import uuid
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import add_card, details, formatting, other_card, subscriptions, update_expiry
from actions.billing_client import BillingClient
from actions.context import (
    BillingAction,
    BillingRefused,
    BillingUnavailable,
    billing,
    explain_refusal,
    label,
    language_of,
    latest_user_index,
)
from reading.words import plain

PAYMENT_FAILURES_BEFORE_HANDOFF = 3
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
_EVERYTHING = re.compile(
    r"\b(everything|all of (?:them|it)|all (?:my|our|the) (?:subscriptions|balances?)|both|"
    r"tout (?:payer|regler)|(?:payer|regler) tout|tous les abonnements|toutes les factures|les deux|"
    r"tout le solde|tous mes abonnements|tous nos abonnements)\b"
)


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
        await self._subscription(dispatcher, tracker, client, intent, put)
        if tracker.get_slot("settle_stop"):
            return changes
        sub_id = tracker.get_slot("subscription_id")
        if any(
            before.get(slot) and tracker.get_slot(slot) and tracker.get_slot(slot) != before[slot]
            for slot in ("subscription_id", "settle_method")
        ):
            self._forget_path(tracker, put, set_now)
        await self._added_card(dispatcher, tracker, client, put)
        method = tracker.get_slot("settle_method")
        key = f"{sub_id}:{method}"
        if sub_id and method in METHODS and tracker.get_slot("method_checked") != key:
            await self._check_method(dispatcher, tracker, client, str(sub_id), str(method), put)
        method = tracker.get_slot("settle_method")
        if method == "use_other_card" and tracker.get_slot("method_checked"):
            await self._named_card(dispatcher, tracker, client, put)
        if method in SAVED_BY and tracker.get_slot("method_checked"):
            await self._save(dispatcher, tracker, domain, client, str(method), put)
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

    async def _subscription(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, client: BillingClient, intent: str, put: Any
    ) -> None:
        named = latest_entity(tracker, "subscription")
        current = tracker.get_slot("subscription_id")
        if not named and (current or intent not in PROCEDURE_INTENTS):
            return
        subs = await client.past_due_subscriptions()
        if not subs:
            dispatcher.utter_message(response="utter_no_past_due")
            put("settle_stop", "nothing_due")
            return
        language = language_of(tracker)
        chosen = subscriptions.match(subs, named) if named else None
        if named and chosen is None:
            # Paid meanwhile (a stale button) or unknown: say so, never settle another one silently.
            put("subscription", None)
            put("subscription_id", current)
            if current:
                dispatcher.utter_message(response="utter_subscription_not_found", name=named[:100])
            else:  # the list comes with the answer; the question does not list it again
                subscriptions.list_choices(
                    dispatcher, subs, language, response="utter_subscription_unknown", name=named[:100]
                )
                put("subscriptions_listed", True)
        elif chosen:
            if current and chosen["id"] != current:
                dispatcher.utter_message(response="utter_updated", value=chosen["product"])
            put("subscription_id", chosen["id"])
            put("subscription", chosen["product"])
        elif len(subs) == 1:
            put("subscription_id", subs[0]["id"])
            put("subscription", subs[0]["product"])
        else:
            if _EVERYTHING.search(plain(details.latest_text(tracker))):
                total = sum(float(s["outstanding"]["amount"]) for s in subs)
                dispatcher.utter_message(
                    response="utter_one_at_a_time",
                    count=len(subs),
                    total=formatting.money(f"{total:.2f}", subs[0]["outstanding"]["currency"], language),
                )
            put("subscription_id", None)

    @staticmethod
    def _forget_path(tracker: Tracker, put: Any, set_now: set[str]) -> None:
        """Another subscription or another choice: the details given for the old one no longer apply
        (except those given in this very message)."""
        for slot in (*DETAILS, "payment_method_id", "new_card_label", "method_checked"):
            if slot not in set_now and tracker.get_slot(slot) is not None:
                put(slot, None)

    async def _check_method(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        client: BillingClient,
        sub_id: str,
        method: str,
        put: Any,
    ) -> None:
        """May this user pay this subscription this way? If not, say why; the choices are offered again."""
        card = (await client.subscription(sub_id)).get("payment_method") or {}
        refusal = None
        if method in ("retry_card", "update_expiry"):
            refusal = update_expiry.refusal(card)
            if refusal == "utter_not_card_owner" and tracker.get_slot("presented") != sub_id:
                refusal = "quiet"  # the options about to be shown say why
            elif refusal is None and method == "retry_card" and card.get("expired"):
                refusal = "utter_card_expired_cannot_retry"
        elif method == "use_other_card" and not other_card.usable(await client.own_cards()):
            refusal = "utter_no_other_card_saved"
        if refusal:
            if refusal != "quiet":
                dispatcher.utter_message(
                    response=refusal,
                    card=formatting.card(card, refusal != "utter_card_expired_cannot_retry"),
                    expiry=formatting.expiry(card.get("exp_month") or 0, card.get("exp_year") or 0),
                )
            put("settle_method", None)
            put("method_checked", None)
            return
        put("method_checked", f"{sub_id}:{method}")
        if method == "retry_card":
            put("payment_method_id", card["id"])

    async def _named_card(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, client: BillingClient, put: Any
    ) -> None:
        brand = latest_entity(tracker, "card_brand")
        # The NLU's entity, else the digits written after the brand (one model seed misses "Mastercard 5100").
        written = details.mentioned_last_four(details.latest_text(tracker))
        last_four = latest_entity(tracker, "last_four") or written
        if not (brand or last_four):
            return
        found = other_card.pick(other_card.usable(await client.own_cards()), brand, last_four)
        if len(found) == 1:
            put("payment_method_id", found[0]["id"])
            return
        wanted = " ".join(part for part in (brand, last_four) if part)
        dispatcher.utter_message(response="utter_card_not_found", wanted=wanted[:40])
        put("payment_method_id", None)

    async def _added_card(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, client: BillingClient, put: Any
    ) -> None:
        """A card saved through the widget's secure form (straight to the vault): pay with it."""
        card_id = latest_entity(tracker, "added_card_id")
        if not card_id:
            return
        card = next((c for c in await client.own_cards() if c["id"] == card_id), None)
        if card is None:
            dispatcher.utter_message(response="utter_card_not_found", wanted=card_id[:40])
            return
        dispatcher.utter_message(response="utter_card_added", card=formatting.card(card))
        put("settle_method", "add_card")
        put("payment_method_id", card["id"])
        put("new_card_label", formatting.card(card, False))
        put("method_checked", f"{tracker.get_slot('subscription_id')}:add_card")
        for slot in add_card.DETAILS:
            put(slot, None)

    async def _save(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        client: BillingClient,
        method: str,
        put: Any,
    ) -> None:
        """All the details are there: save the card (new date, or new card) before paying with it."""
        if tracker.get_slot("payment_method_id") or any(tracker.get_slot(s) is None for s in METHODS[method]):
            return
        feature = SAVED_BY[method]
        try:
            if method == "update_expiry":
                sub = await client.subscription(str(tracker.get_slot("subscription_id")))
                card = await update_expiry.save(dispatcher, tracker, client, sub.get("payment_method") or {})
            else:
                card = await add_card.save(dispatcher, tracker, client)
        except BillingRefused as error:
            if error.status in (401, 429) or error.code in ("billing_role_required", "too_many_attempts"):
                raise
            reason = label(domain, f"utter_reason_{error.code}", language_of(tracker))
            dispatcher.utter_message(
                response="utter_card_refused", reason=error.message if reason.startswith("utter_") else reason
            )
            for slot in feature.REFUSED_DETAIL.get(error.code, METHODS[method]):
                put(slot, None)
            return
        put("payment_method_id", card["id"])
        put("security_code_token", None)  # used: never kept once the card is saved

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


async def ask_confirmation(
    dispatcher: CollectingDispatcher, client: BillingClient, language: str, sub_id: str, card_id: str
) -> list[EventType]:
    """Show subscription, amount and card, and fix the idempotency key of this attempt."""
    sub = await client.subscription(sub_id)
    if sub["state"] != "past_due":
        dispatcher.utter_message(response="utter_summary_paid_offer", product=sub["product"])
        return [SlotSet("confirming", False), SlotSet("settle_stop", "paid")]
    card = next((c for c in await client.own_cards() if c["id"] == card_id), None)
    if card is None:  # the card on file of another admin is never paid with here
        card = sub.get("payment_method") or {}
    outstanding = sub["outstanding"]
    amount = formatting.money(outstanding["amount"], outstanding["currency"], language)
    card_label = formatting.card(card)
    dispatcher.utter_message(
        response="utter_confirm_payment", product=sub["product"], card=card_label, amount=amount
    )
    return [
        SlotSet("confirmed_amount", outstanding["amount"]),
        SlotSet("payment_card_label", card_label),
        SlotSet("payment_amount_label", amount),
        SlotSet("subscription", sub["product"]),
        SlotSet("settle_key", f"settle-{uuid.uuid4()}"),
        SlotSet("confirming", True),
    ]


def repeat_confirmation(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Ask the pending confirmation again, as it was shown (no billing call, the same attempt);
    False when none is pending."""
    if not (tracker.get_slot("confirming") and tracker.get_slot("settle_key")):
        return False
    dispatcher.utter_message(
        response="utter_confirm_payment",
        product=tracker.get_slot("subscription"),
        card=tracker.get_slot("payment_card_label"),
        amount=tracker.get_slot("payment_amount_label"),
    )
    return True


class ActionAskSubscriptionId(BillingAction):
    def name(self) -> str:
        return "action_ask_subscription_id"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if tracker.get_slot("subscriptions_listed"):
            return [SlotSet("subscriptions_listed", None)]  # listed with this turn's answer already
        subs = await billing(tracker).past_due_subscriptions()
        if not subs:
            dispatcher.utter_message(response="utter_no_past_due")
            return [SlotSet("settle_stop", "nothing_due")]
        subscriptions.list_choices(dispatcher, subs, language_of(tracker))
        return []


class ActionAskSettleMethod(BillingAction):
    """The subscription's summary (once) and what this user may do about it."""

    def name(self) -> str:
        return "action_ask_settle_method"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        sub_id = str(tracker.get_slot("subscription_id"))
        sub = await billing(tracker).subscription(sub_id)
        if tracker.get_slot("presented") != sub_id or intent_of(tracker) == "repeat":
            subscriptions.summarize(dispatcher, sub, language_of(tracker))
        owned = bool((sub.get("payment_method") or {}).get("owned_by_caller"))
        dispatcher.utter_message(response="utter_options_owner" if owned else "utter_options_not_owner")
        return [SlotSet("presented", sub_id), SlotSet("subscription", sub["product"])]


class ActionAskPaymentMethodId(BillingAction):
    def name(self) -> str:
        return "action_ask_payment_method_id"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        cards = other_card.usable(await billing(tracker).own_cards())
        if not cards:
            dispatcher.utter_message(response="utter_no_other_card")
            return [SlotSet("settle_method", None), SlotSet("method_checked", None)]
        other_card.offer(dispatcher, cards)
        return []


class ActionAskPaymentConfirmed(BillingAction):
    """"Pay €151.20 for … with …?": the same question (and the same attempt) when asked again."""

    def name(self) -> str:
        return "action_ask_payment_confirmed"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if repeat_confirmation(dispatcher, tracker):
            return []
        return await ask_confirmation(
            dispatcher,
            billing(tracker),
            language_of(tracker),
            str(tracker.get_slot("subscription_id")),
            str(tracker.get_slot("payment_method_id")),
        )


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


class ActionCancelPayment(Action):
    """Cancel at any step: stop the form, forget the attempt, nothing charged."""

    def name(self) -> str:
        return "action_cancel_payment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_cancelled")
        return forget_flow()


class ActionExplainBalance(BillingAction):
    """A digression ("how much again?", "why is it past due?"): answer; the form asks again after."""

    def name(self) -> str:
        return "action_explain_balance"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = language_of(tracker)
        client = billing(tracker)
        sub_id = tracker.get_slot("subscription_id")
        if sub_id:
            subscriptions.summarize(dispatcher, await client.subscription(sub_id), language)
        else:
            subs = await client.past_due_subscriptions()
            if not subs:
                # Nothing is past due: offering to settle "it" would contradict the answer.
                dispatcher.utter_message(response="utter_no_past_due")
                return []
            for sub in subs:
                subscriptions.summarize(dispatcher, sub, language)
        if not tracker.active_loop.get("name"):
            dispatcher.utter_message(response="utter_offer_settle")
        return []


ASKS: dict[str, type[BillingAction]] = {
    "subscription_id": ActionAskSubscriptionId,
    "settle_method": ActionAskSettleMethod,
    "payment_method_id": ActionAskPaymentMethodId,
    "payment_confirmed": ActionAskPaymentConfirmed,
}


async def ask_again(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
) -> list[EventType]:
    """The pending question of the procedure again, with its buttons (after a message it could not
    use was answered)."""
    requested = tracker.get_slot("requested_slot")
    if not requested:
        return []
    ask = ASKS.get(str(requested))
    if ask is not None:
        return list(await ask().run(dispatcher, tracker, domain))
    dispatcher.utter_message(response=f"utter_ask_{requested}")
    return []
