"""Retry, another card, confirmation and the charge itself, against the real billing service."""

from __future__ import annotations

from actions.payment import ActionOfferCards, ActionRetryCard
from actions.settle import ActionCancelPayment, ActionPaymentNotConfirmed, ActionSettle
from tests.support.trackers import billing_get, responses, run, slots, tracker

EXCHANGE = "sub_contoso_exchange_plan1"
STANDARD = "sub_contoso_business_standard"


async def confirmed(tokens, domain, user, sub_id, last_four):
    """Slots after the user picked the card ending `last_four` and was asked to confirm."""
    trk = tracker(
        tokens[user],
        {"subscription_id": sub_id},
        intent="use_other_card",
        entities=[{"entity": "last_four", "value": last_four}],
    )
    messages, events = await run(ActionOfferCards(), trk, domain)
    assert responses(messages) == ["utter_confirm_payment"], messages
    return {"subscription_id": sub_id, **slots(events)}


async def test_owner_retries_a_valid_card_and_is_asked_to_confirm(tokens, domain):
    trk = tracker(tokens["bob"], {"subscription_id": EXCHANGE}, intent="retry_card")
    messages, events = await run(ActionRetryCard(), trk, domain)
    assert responses(messages) == ["utter_confirm_payment"]
    assert messages[0]["amount"] == "€40.00"
    assert messages[0]["card"] == "Mastercard •••• 4444 (08/2029)"
    state = slots(events)
    assert state["confirming"] is True and state["payment_method_id"] == "pm_bob_mc_4444"
    assert state["settle_key"].startswith("settle-")


async def test_an_expired_card_is_not_retried(tokens, domain):
    trk = tracker(tokens["alice"], {"subscription_id": STANDARD}, intent="retry_card")
    messages, events = await run(ActionRetryCard(), trk, domain)
    assert responses(messages) == ["utter_card_expired_cannot_retry"]
    assert messages[0]["expiry"] == "10/2026"
    assert slots(events) == {"confirming": False}


async def test_someone_elses_card_is_never_retried(tokens, domain):
    trk = tracker(tokens["alice"], {"subscription_id": EXCHANGE}, intent="retry_card")
    messages, _ = await run(ActionRetryCard(), trk, domain)
    assert responses(messages) == ["utter_not_card_owner"]
    assert messages[0]["card"] == "Mastercard •••• 4444"


async def test_a_user_with_no_usable_card_is_offered_to_add_one(tokens, domain):
    trk = tracker(tokens["alice"], {"subscription_id": EXCHANGE}, intent="use_other_card")
    messages, _ = await run(ActionOfferCards(), trk, domain)
    assert responses(messages) == ["utter_no_other_card"]


async def test_a_last_four_matching_no_card_lists_the_cards(tokens, domain):
    trk = tracker(
        tokens["bob"],
        {"subscription_id": EXCHANGE},
        intent="use_other_card",
        entities=[{"entity": "last_four", "value": "1234"}],
    )
    messages, _ = await run(ActionOfferCards(), trk, domain)
    assert responses(messages) == ["utter_card_not_found", "utter_choose_card"]
    assert [b["title"] for b in messages[1]["buttons"]] == ["Mastercard •••• 4444 (08/2029)"]


async def test_a_last_four_named_earlier_does_not_narrow_a_new_choice(tokens, domain):
    trk = tracker(tokens["bob"], {"subscription_id": EXCHANGE, "last_four": "1234"}, intent="use_other_card")
    messages, _ = await run(ActionOfferCards(), trk, domain)
    assert responses(messages) == ["utter_choose_card"]


async def test_confirmed_payment_is_charged_once_and_gives_a_receipt(tokens, domain, billing):
    state = await confirmed(tokens, domain, "bob", EXCHANGE, "4444")
    trk = tracker(tokens["bob"], {**state, "subscription": "Exchange Online (Plan 1)"}, intent="affirm")
    messages, events = await run(ActionSettle(), trk, domain)
    assert responses(messages) == ["utter_payment_succeeded"]
    assert messages[0]["receipt"].startswith("RCPT-")
    assert slots(events)["confirming"] is False
    # The same attempt again (a retried action) replays; it never charges twice.
    again, _ = await run(ActionSettle(), trk, domain)
    assert again[0]["receipt"] == messages[0]["receipt"]
    sub = billing_get(billing, tokens["bob"], f"/v1/subscriptions/{EXCHANGE}")
    assert sub["state"] == "active" and sub["outstanding"]["amount"] == "0.00"
    charges = billing_get(billing, tokens["bob"], f"/v1/subscriptions/{EXCHANGE}/charges")
    assert [c["outcome"] for c in charges].count("succeeded") == 1


async def test_unconfirmed_settle_charges_nothing(tokens, domain, billing):
    trk = tracker(tokens["bob"], {"subscription_id": EXCHANGE, "confirming": False}, intent="affirm")
    messages, _ = await run(ActionSettle(), trk, domain)
    assert responses(messages) == ["utter_nothing_to_confirm"]
    assert billing_get(billing, tokens["bob"], f"/v1/subscriptions/{EXCHANGE}")["state"] == "past_due"


async def test_billing_timeout_keeps_the_attempt_key(tokens, domain, monkeypatch):
    state = await confirmed(tokens, domain, "bob", EXCHANGE, "4444")
    monkeypatch.setattr("actions.billing_client.BILLING_URL", "http://127.0.0.1:9")
    trk = tracker(tokens["bob"], state, intent="affirm")
    messages, events = await run(ActionSettle(), trk, domain)
    assert responses(messages) == ["utter_payment_outcome_unknown"]
    assert slots(events) == {"confirming": True}


async def test_saying_no_to_the_confirmation_forgets_the_attempt(tokens, domain, billing):
    state = await confirmed(tokens, domain, "bob", EXCHANGE, "4444")
    messages, events = await run(
        ActionPaymentNotConfirmed(), tracker(tokens["bob"], state, intent="deny"), domain
    )
    assert responses(messages) == ["utter_payment_not_confirmed"]
    assert slots(events)["settle_key"] is None and slots(events)["confirming"] is False
    assert billing_get(billing, tokens["bob"], f"/v1/subscriptions/{EXCHANGE}")["state"] == "past_due"


async def test_cancel_stops_the_form_and_says_nothing_was_charged(tokens, domain):
    trk = tracker(
        tokens["bob"], {"subscription_id": EXCHANGE, "requested_slot": "new_expiry"}, intent="cancel"
    )
    messages, events = await run(ActionCancelPayment(), trk, domain)
    assert responses(messages) == ["utter_cancelled"]
    assert {"event": "active_loop", "name": None} in [
        {"event": e["event"], "name": e.get("name")} for e in events
    ]
    assert slots(events)["subscription_id"] is None
