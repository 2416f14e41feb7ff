"""The steps of the settle form that ask billing: what a message means for the procedure.

`ValidateSettleForm.advance` (actions/settle.py) runs them in turn on each message: which subscription
(named, the only one, or "everything"), forgetting the details of an abandoned path, whether this user
may pay this way, the card named among the user's own, a card added through the widget's secure form,
and saving the card (a new date or a new card) once all its details are there. Each step records its
slot changes through `put`."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import add_card, details, formatting, other_card, subscriptions, update_expiry
from actions.context import BillingRefused, label, language_of
from actions.settle_slots import DETAILS, METHODS, PROCEDURE_INTENTS, SAVED_BY, latest_entity
from clients.billing import BillingClient, Card
from reading.words import plain

# Records a slot's new value, in the form's changes and in the tracker the next steps read.
Put = Callable[[str, Any], None]
# "Pay everything" while several subscriptions are past due: one at a time, said once.
_EVERYTHING = re.compile(
    r"\b(everything|all of (?:them|it)|all (?:my|our|the) (?:subscriptions|balances?)|both|"
    r"tout (?:payer|regler)|(?:payer|regler) tout|tous les abonnements|toutes les factures|les deux|"
    r"tout le solde|tous mes abonnements|tous nos abonnements)\b"
)


async def subscription(
    dispatcher: CollectingDispatcher, tracker: Tracker, client: BillingClient, intent: str, put: Put
) -> None:
    """The subscription named, or the only one past due; none when there is nothing to pay."""
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


def forget_path(tracker: Tracker, put: Put, set_now: set[str]) -> None:
    """Another subscription or another choice: the details given for the old one no longer apply
    (except those given in this very message)."""
    for slot in (*DETAILS, "payment_method_id", "new_card_label", "method_checked"):
        if slot not in set_now and tracker.get_slot(slot) is not None:
            put(slot, None)


async def check_method(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    client: BillingClient,
    sub_id: str,
    method: str,
    put: Put,
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


async def named_card(
    dispatcher: CollectingDispatcher, tracker: Tracker, client: BillingClient, put: Put
) -> None:
    """One of the user's own cards, named by brand or last four digits ("with my Visa 1881")."""
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


async def added_card(
    dispatcher: CollectingDispatcher, tracker: Tracker, client: BillingClient, put: Put
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


async def save(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: DomainDict,
    client: BillingClient,
    method: str,
    put: Put,
) -> None:
    """All the details are there: save the card (new date, or new card) before paying with it."""
    if tracker.get_slot("payment_method_id") or any(tracker.get_slot(s) is None for s in METHODS[method]):
        return
    feature = SAVED_BY[method]
    try:
        if method == "update_expiry":
            sub = await client.subscription(str(tracker.get_slot("subscription_id")))
            card = await update_expiry.save(dispatcher, tracker, client, sub["payment_method"] or Card())
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
