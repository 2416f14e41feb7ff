"""Whole conversations over REST against the real stack; billing state checked afterwards."""

from __future__ import annotations

import json

import pytest

from reading.language import detect_language
from tests.support.dates import ALICE_VISA_EXPIRY, BOB_MASTERCARD_EXPIRY, mm_yyyy, year, yy

STANDARD = "sub_contoso_business_standard"
EXCHANGE = "sub_contoso_exchange_plan1"
CHOOSE_STANDARD = '/choose_subscription{"subscription": "Microsoft 365 Business Standard"}'
CHOOSE_EXCHANGE = '/choose_subscription{"subscription": "Exchange Online (Plan 1)"}'


def in_language(replies, language):
    """Every reply that is a sentence is in `language`."""
    assert replies, "the assistant said nothing"
    for reply in replies:
        text = reply.get("text", "")
        if len(text.split()) >= 3:
            assert detect_language(text) == language, text


def said(replies, *fragments):
    """Each fragment is in what the user sees: the texts and the button titles."""
    text = "\n".join(
        [r.get("text", "") for r in replies] + [b["title"] for r in replies for b in r.get("buttons", [])]
    )
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in:\n{text}"


def succeeded_charges(convo, sub_id):
    return [c for c in convo.billing(f"/v1/subscriptions/{sub_id}/charges") if c["outcome"] == "succeeded"]


def pay_standard_after_new_expiry(convo, steps, language):
    for text in steps:
        in_language(convo.say(text), language)


@pytest.mark.date_sensitive
def test_owner_updates_the_expiry_and_pays_in_english(talk):
    alice = talk("alice@contoso.com")
    in_language(alice.say("hi"), "en")
    replies = alice.say("I need to pay my balance")
    in_language(replies, "en")
    said(replies, "€151.20", "€40.00")
    said(alice.say(CHOOSE_STANDARD), "has expired")
    said(alice.say("/update_expiry"), "new expiration date")
    said(alice.say(f"12/{yy(1)}"), "security code")
    replies = alice.say("123")
    in_language(replies, "en")
    said(replies, f"12/{year(1)}", "Pay €151.20 for Microsoft 365 Business Standard")
    replies = alice.say("yes")
    in_language(replies, "en")
    said(replies, "Receipt reference: RCPT-")
    sub = alice.billing(f"/v1/subscriptions/{STANDARD}")
    assert sub["state"] == "active" and sub["outstanding"]["amount"] == "0.00"
    assert (sub["payment_method"]["exp_month"], sub["payment_method"]["exp_year"]) == (12, year(1))
    assert len(succeeded_charges(alice, STANDARD)) == 1


@pytest.mark.date_sensitive
def test_owner_updates_the_expiry_and_pays_in_french_free_text(talk):
    alice = talk("alice@contoso.com", "fr")
    in_language(alice.say("bonjour"), "fr")
    replies = alice.say("je veux régler mon solde impayé")
    in_language(replies, "fr")
    said(replies, "151,20\u00a0€")
    in_language(alice.say("celui de Business Standard"), "fr")
    said(alice.say("je veux modifier la date d'expiration"), "nouvelle date d'expiration")
    said(alice.say(f"décembre {year(1)}"), "code de sécurité")
    replies = alice.say("123")
    in_language(replies, "fr")
    said(replies, f"12/{year(1)}")
    in_language(alice.say("oui"), "fr")
    assert len(succeeded_charges(alice, STANDARD)) == 1


@pytest.mark.date_sensitive
def test_owner_adds_a_card_and_the_tracker_never_sees_the_number(talk):
    bob = talk("bob@contoso.com")
    bob.say("pay my balance")
    said(bob.say(CHOOSE_EXCHANGE), "insufficient funds")
    said(bob.say("add a new card"), "card number")
    replies = bob.say("4242 4242 4242 4242")
    said(replies, "expiration date")
    said(bob.say(f"12/{yy(2)}"), "security code")
    said(bob.say("123"), "cardholder")
    replies = bob.say("Bob Durand")
    said(replies, "Visa •••• 4242", "Pay €40.00")
    replies = bob.say("yes")
    said(replies, "Receipt reference", "Microsoft 365 E3")
    assert bob.billing("/v1/subscriptions/sub_contoso_e3")["payment_method"]["last4"] == "4242"
    dump = json.dumps(bob.tracker(), ensure_ascii=False)
    assert "4242424242424242" not in dump and "4242 4242 4242 4242" not in dump
    assert '"123"' not in dump
    assert "•••• 4242" in dump


@pytest.mark.date_sensitive
def test_a_non_owner_pays_with_their_own_card(talk):
    bob = talk("bob@contoso.com")
    bob.say("I want to settle my outstanding balance")
    said(bob.say(CHOOSE_STANDARD), "added by another admin")
    replies = bob.say("/use_other_card")
    said(replies, f"Mastercard •••• 4444 ({mm_yyyy(BOB_MASTERCARD_EXPIRY)})")  # seeded relative to today
    said(bob.say(replies[-1]["buttons"][0]["payload"]), "Pay €151.20")
    said(bob.say("yes"), "Receipt reference")
    sub = bob.billing(f"/v1/subscriptions/{STANDARD}")
    assert sub["state"] == "active" and sub["payment_method"]["last4"] == "4444"


def test_a_user_without_billing_role_is_told_why_in_french(talk):
    carol = talk("carol@contoso.com", "fr")
    replies = carol.say("je voudrais payer le solde de notre abonnement")
    in_language(replies, "fr")
    said(replies, "rôle de facturation")


@pytest.mark.date_sensitive
def test_a_declined_card_then_success_with_another(talk):
    bob = talk("bob@contoso.com")
    bob.say("pay my balance")
    bob.say(CHOOSE_EXCHANGE)
    bob.say("add a new card")
    bob.say("4000 0000 0000 0002")
    bob.say(f"11/{yy(3)}")
    bob.say("321")
    bob.say("Bob Durand")
    replies = bob.say("yes")
    said(replies, "failed", "declined")
    said(bob.say("use the one ending in 4444"), "Pay €40.00", "Mastercard •••• 4444")
    said(bob.say("yes"), "Receipt reference")
    outcomes = [c["outcome"] for c in bob.billing(f"/v1/subscriptions/{EXCHANGE}/charges")]
    assert outcomes.count("succeeded") == 1 and outcomes.count("declined") == 2  # + the seeded one


@pytest.mark.date_sensitive
def test_cancel_midway_charges_nothing(talk):
    alice = talk("alice@contoso.com")
    alice.say("pay my balance")
    alice.say(CHOOSE_STANDARD)
    alice.say("/update_expiry")
    alice.say(f"12/{yy(1)}")
    replies = alice.say("cancel")
    said(replies, "nothing was charged")
    sub = alice.billing(f"/v1/subscriptions/{STANDARD}")
    assert sub["state"] == "past_due" and sub["payment_method"]["exp_year"] == ALICE_VISA_EXPIRY[1]
    assert succeeded_charges(alice, STANDARD) == []


@pytest.mark.date_sensitive
def test_language_switch_mid_flow(talk):
    alice = talk("alice@contoso.com", "fr")
    in_language(alice.say("je veux payer mon solde"), "fr")
    in_language(alice.say(CHOOSE_STANDARD), "fr")
    alice.language = "en"
    replies = alice.say("in English please")
    in_language(replies, "en")
    said(alice.say("/update_expiry"), "new expiration date")
    in_language(alice.say(f"01/{year(3)}"), "en")
    in_language(alice.say("123"), "en")
    said(alice.say("yes"), "Receipt reference")


@pytest.mark.date_sensitive
def test_single_subscription_owner_retries_the_card(talk):
    dave = talk("dave@fabrikam.com")
    replies = dave.say("pay my balance")
    said(replies, "€120.00", "retry")
    said(dave.say("/retry_card"), "Pay €120.00")
    said(dave.say("yes"), "Receipt reference")
    assert dave.billing("/v1/subscriptions/sub_fabrikam_business_basic")["state"] == "active"


@pytest.mark.date_sensitive
def test_a_digression_inside_the_form_then_resume(talk):
    alice = talk("alice@contoso.com", "fr")
    alice.say("je veux payer mon solde")
    alice.say(CHOOSE_STANDARD)
    alice.say("/update_expiry")
    replies = alice.say("c'est combien déjà ?")
    in_language(replies, "fr")
    said(replies, "151,20", "nouvelle date d'expiration")
    said(alice.say(f"12/{yy(1)}"), "code de sécurité")


@pytest.mark.date_sensitive
def test_bad_input_gets_specific_answers_and_no_charge(talk):
    alice = talk("alice@contoso.com")
    alice.say("pay my balance")
    alice.say(CHOOSE_STANDARD)
    alice.say("/update_expiry")
    said(alice.say("13/27"), "no month 13")
    said(alice.say("02/2020"), "already past")
    said(alice.say("a" * 5000), "very long message", "expiration date")
    said(alice.say("fin 2027"), "which month")
    assert succeeded_charges(alice, STANDARD) == []
    assert alice.billing(f"/v1/subscriptions/{STANDARD}")["state"] == "past_due"


def test_empty_and_emoji_messages_get_a_specific_answer(talk):
    alice = talk("alice@contoso.com")
    said(alice.say("hello"), "Hello")
    said(alice.say("😀😀😀"), "empty")
    said(alice.say(""), "empty")


def test_another_tenants_subscription_is_not_found(talk):
    alice = talk("alice@contoso.com")
    alice.say("pay my balance")
    replies = alice.say('/choose_subscription{"subscription": "Microsoft 365 Business Basic"}')
    said(replies, "couldn't find", "Exchange Online (Plan 1)")
