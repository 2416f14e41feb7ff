"""The procedure as one form (`settle_form`, actions/settle.py): which subscription, what this user may
do about it, the confirmation, and the payment's outcomes, against the real billing service.

Each message goes through Rasa's own slot extraction and form machinery (tests/support/trackers.py):
`validate_settle_form` receives the tracker Rasa would send, the form asks the question its
`requested_slot` names, and `action_settle` runs when the form completes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from actions.settle_digressions import ActionCancelPayment, ActionExplainBalance
from actions.settle_payment import ActionSettle
from clients.billing import BillingClient, BillingUnavailable
from tests.actions.demo import (
    BASIC,
    BOB_MASTERCARD,
    EXCHANGE,
    STANDARD,
    card_named,
    charges,
    choose,
    named,
    paid_elsewhere,
    subscription,
    succeeded,
    use_settings,
)
from tests.support.dates import (
    ALICE_VISA_EXPIRY,
    BOB_MASTERCARD_EXPIRY,
    DAVE_VISA_EXPIRY,
    mm_yyyy,
    year,
    yy,
)
from tests.support.trackers import Conversation, responses, vaulted

# The seeded cards as the assistant shows them: the expiries follow the tests' date (tests/support/dates.py).
BOB_MASTERCARD_SHOWN = f"Mastercard •••• 4444 ({mm_yyyy(BOB_MASTERCARD_EXPIRY)})"
DAVE_VISA_SHOWN = f"Visa •••• 1881 ({mm_yyyy(DAVE_VISA_EXPIRY)})"

DOWN = "http://127.0.0.1:9"  # nothing listens there


def titles(message: dict[str, Any]) -> list[str]:
    return [b["title"] for b in message.get("buttons") or []]


async def bob_at_confirmation(tokens, domain) -> Conversation:
    """Bob retries his Mastercard for Exchange and is asked "Pay €40.00 …?"."""
    bob = Conversation(tokens["bob"], domain)
    await bob.say("I want to pay Exchange", "settle_balance", named("Exchange Online (Plan 1)"))
    turn = await bob.say("retry the card", "retry_card")
    assert turn.responses == ["utter_confirm_payment"], turn.responses
    return bob


async def dave_pays_with_a_new_card(tokens, domain, billing, number: str) -> Conversation:
    """Dave adds the card `number` in one message and is asked to confirm."""
    dave = Conversation(tokens["dave"], domain)
    await dave.say("settle my balance", "settle_balance")
    card = vaulted(billing, tokens["dave"], number=number, cvc="123")
    text = f"add my card •••• {number[-4:]} exp 12/{yy(2)} cvc ••• name Dave Wilson"
    turn = await dave.say(text, "add_card", vault=card)
    assert turn.responses == ["utter_card_added", "utter_confirm_payment"], turn.responses
    return dave


# --- Which subscription ----------------------------------------------------------------------------


async def test_several_past_due_subscriptions_are_listed_with_buttons(tokens, domain):
    alice = Conversation(tokens["alice"], domain)
    turn = await alice.say("I want to pay my balance", "settle_balance")
    assert turn.responses == ["utter_past_due_several"]
    assert turn.requested == "subscription_id"
    listed = turn.asked[0]
    assert titles(listed) == ["Exchange Online (Plan 1)", "Microsoft 365 Business Standard"]
    assert (
        listed["buttons"][0]["payload"] == '/choose_subscription{"subscription": "Exchange Online (Plan 1)"}'
    )
    assert listed["lines"] == "- Exchange Online (Plan 1): €40.00\n- Microsoft 365 Business Standard: €151.20"


async def test_amounts_follow_the_french_locale(tokens, domain):
    alice = Conversation(tokens["alice"], domain, language="fr")
    turn = await alice.say("je veux régler mon solde", "settle_balance")
    assert "- Microsoft 365 Business Standard\u00a0: 151,20\u00a0€" in turn.asked[0]["lines"]


@pytest.mark.date_sensitive
async def test_a_single_past_due_subscription_goes_straight_to_its_options(tokens, domain):
    dave = Conversation(tokens["dave"], domain)
    turn = await dave.say("settle my balance", "settle_balance")
    assert turn.slots["subscription_id"] == BASIC
    assert turn.requested == "settle_method"
    assert turn.responses == ["utter_summary_card_declined", "utter_options_owner"]
    assert turn.asked[0]["amount"] == "€120.00" and turn.asked[0]["card"] == DAVE_VISA_SHOWN
    assert dave.slot("presented") == BASIC  # the summary is said once


@pytest.mark.parametrize(
    ("name", "chosen", "said"),
    [
        ("Microsoft 365 Business Standard", STANDARD, ["utter_summary_card_expired", "utter_options_owner"]),
        ("exchange", EXCHANGE, ["utter_summary_insufficient_funds", "utter_options_not_owner"]),
    ],
)
async def test_choosing_a_subscription_by_name(tokens, domain, name, chosen, said):
    alice = Conversation(tokens["alice"], domain)
    await alice.say("pay my balance", "settle_balance")
    turn = await alice.say(name, "choose_subscription", named(name))
    assert turn.slots["subscription_id"] == chosen and turn.requested == "settle_method"
    assert turn.responses == said


@pytest.mark.date_sensitive
async def test_a_subscription_named_in_the_first_message_is_chosen_directly(tokens, domain):
    bob = Conversation(tokens["bob"], domain)
    turn = await bob.say("pay Exchange", "settle_balance", named("Exchange"))
    assert turn.slots["subscription_id"] == EXCHANGE
    assert turn.responses == ["utter_summary_insufficient_funds", "utter_options_owner"]
    assert turn.asked[0]["card"] == BOB_MASTERCARD_SHOWN


async def test_another_tenants_subscription_is_not_found(tokens, domain):
    alice = Conversation(tokens["alice"], domain)
    await alice.say("pay my balance", "settle_balance")
    turn = await alice.say("Business Basic", "choose_subscription", named("Microsoft 365 Business Basic"))
    # The list comes with the answer, and the question does not list it again.
    assert turn.responses == ["utter_subscription_unknown"]
    assert turn.said[0]["name"] == "Microsoft 365 Business Basic"
    assert turn.slots["subscription_id"] is None and turn.requested == "subscription_id"


async def test_all_of_them_is_settled_one_at_a_time(tokens, domain):
    alice = Conversation(tokens["alice"], domain)
    turn = await alice.say("I want to pay all of them", "settle_balance")
    assert turn.responses == ["utter_one_at_a_time", "utter_past_due_several"]
    assert turn.said[0]["count"] == 2 and turn.said[0]["total"] == "€191.20"


async def test_right_away_in_french_is_not_everything(tokens, domain):
    alice = Conversation(tokens["alice"], domain, language="fr")
    turn = await alice.say("je veux payer mon solde tout de suite", "settle_balance")
    assert turn.responses == ["utter_past_due_several"]


async def test_a_stale_button_never_settles_another_subscription(tokens, domain, billing):
    """The portal still shows "Settle balance" on Exchange, paid meanwhile in another tab."""
    paid_elsewhere(billing, tokens["bob"], EXCHANGE, BOB_MASTERCARD)
    alice = Conversation(tokens["alice"], domain)
    turn = await alice.say("Settle balance", "settle_balance", named("Exchange Online (Plan 1)"))
    assert turn.responses == ["utter_subscription_unknown"]
    assert titles(turn.said[0]) == ["Microsoft 365 Business Standard"]
    assert turn.slots["subscription_id"] is None and turn.slots["subscription"] is None


@pytest.mark.date_sensitive
async def test_nothing_past_due_ends_the_procedure(tokens, domain, billing):
    paid_elsewhere(billing, tokens["dave"], BASIC, "pm_dave_visa_1881")
    dave = Conversation(tokens["dave"], domain)
    turn = await dave.say("settle my balance", "settle_balance")
    assert turn.responses == ["utter_no_past_due"]
    assert turn.slots["settle_stop"] == "nothing_due" and turn.requested is None
    assert not dave.form_active and dave.slot("settle_stop") is None  # action_settle said nothing more


async def test_another_subscription_forgets_the_details_given_for_the_first(tokens, domain, billing):
    bob = Conversation(tokens["bob"], domain)
    await bob.say("pay Exchange", "settle_balance", named("Exchange"))
    await bob.say("add a card", "add_card")
    number = vaulted(billing, tokens["bob"], number="4242424242424242")
    await bob.say("•••• 4242", vault=number)
    assert bob.slot("card_number_token") == number["card_number_token"]
    turn = await choose(bob, STANDARD)
    assert (
        responses(turn.said) == ["utter_updated"]
        and turn.said[0]["value"] == "Microsoft 365 Business Standard"
    )
    assert turn.slots["subscription_id"] == STANDARD and turn.slots["card_number_token"] is None
    assert bob.slot("settle_method") == "add_card" and bob.slot("method_checked") == f"{STANDARD}:add_card"
    assert turn.requested == "card_number_token"


# --- Who may do what: billing's answers ------------------------------------------------------------


async def test_a_user_without_the_billing_role_is_told_why(tokens, domain):
    carol = Conversation(tokens["carol"], domain)
    turn = await carol.say("pay my balance", "settle_balance")
    assert turn.responses == ["utter_no_billing_role"]
    assert turn.slots == {
        "settle_stop": "refused",
        "requested_slot": None,
        "security_code_token": None,
        "no_billing_role": True,
    }
    assert not carol.form_active and carol.slot("no_billing_role") is True


@pytest.mark.parametrize("token", [None, "forged.token.value"])
async def test_a_missing_or_forged_token_asks_to_sign_in(domain, token):
    anonymous = Conversation(token, domain)
    turn = await anonymous.say("pay my balance", "settle_balance")
    assert turn.responses == ["utter_sign_in_required"]
    assert turn.slots["settle_stop"] == "refused" and turn.requested is None


async def test_billing_down_apologises_and_try_again_resumes_where_it_stood(
    tokens, domain, billing, monkeypatch
):
    alice = Conversation(tokens["alice"], domain)
    await alice.say("pay", "settle_balance", named("Standard"))
    use_settings(billing_url=DOWN)
    turn = await alice.say("change the expiry date", "update_expiry")
    assert turn.responses == ["utter_billing_unavailable"]
    assert turn.slots == {"settle_stop": "refused", "requested_slot": None, "security_code_token": None}
    assert alice.slot("subscription_id") == STANDARD and alice.slot("settle_stop") is None
    use_settings(billing_url=billing["url"])
    turn = await alice.say("try again", "settle_balance")
    assert turn.requested == "new_expiry" and turn.responses == ["utter_ask_new_expiry"]


async def test_a_billing_service_that_hangs_times_out_with_an_apology(tokens, domain, monkeypatch):
    async def never_answer(reader, writer):
        await asyncio.sleep(30)

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    use_settings(billing_url=f"http://127.0.0.1:{port}", billing_timeout_seconds=0.5)
    alice = Conversation(tokens["alice"], domain)
    try:
        started = asyncio.get_running_loop().time()
        turn = await alice.say("pay my balance", "settle_balance")
        assert asyncio.get_running_loop().time() - started < 3
    finally:
        server.close()
    assert turn.responses == ["utter_billing_unavailable"]


# --- What to do about it: the choice, checked --------------------------------------------------------


@pytest.mark.date_sensitive
async def test_an_expired_card_is_not_retried(tokens, domain):
    alice = Conversation(tokens["alice"], domain)
    await alice.say("pay", "settle_balance", named("Standard"))
    turn = await alice.say("retry the card", "retry_card")
    assert turn.responses == ["utter_card_expired_cannot_retry", "utter_options_owner"]
    assert turn.said[0]["card"] == "Visa •••• 4242" and turn.said[0]["expiry"] == mm_yyyy(ALICE_VISA_EXPIRY)
    assert turn.slots["settle_method"] is None and turn.requested == "settle_method"


@pytest.mark.parametrize(
    ("text", "intent"), [("retry it", "retry_card"), ("change its expiry", "update_expiry")]
)
async def test_someone_elses_card_is_never_retried_or_changed(tokens, domain, text, intent):
    alice = Conversation(tokens["alice"], domain)
    await alice.say("pay", "settle_balance", named("Exchange"))  # Bob's Mastercard is on file
    turn = await alice.say(text, intent)
    assert turn.responses == ["utter_not_card_owner", "utter_options_not_owner"]
    assert turn.said[0]["card"] == "Mastercard •••• 4444"
    assert turn.slots["settle_method"] is None and turn.requested == "settle_method"


@pytest.mark.date_sensitive
async def test_retrying_someone_elses_card_in_a_first_message_just_shows_the_options(tokens, domain):
    alice = Conversation(tokens["alice"], domain)
    turn = await alice.say("retry my card for Exchange", "retry_card", named("Exchange"))
    assert turn.responses == ["utter_summary_insufficient_funds", "utter_options_not_owner"]
    assert turn.slots["settle_method"] is None and turn.requested == "settle_method"


@pytest.mark.date_sensitive
async def test_the_owner_retries_a_valid_card_and_is_asked_to_confirm(tokens, domain):
    bob = Conversation(tokens["bob"], domain)
    await bob.say("pay Exchange", "settle_balance", named("Exchange"))
    turn = await bob.say("retry the card", "retry_card")
    assert turn.slots["payment_method_id"] == BOB_MASTERCARD and turn.requested == "payment_confirmed"
    assert turn.responses == ["utter_confirm_payment"]
    asked = turn.asked[0]
    assert (asked["amount"], asked["card"], asked["product"]) == (
        "€40.00",
        BOB_MASTERCARD_SHOWN,
        "Exchange Online (Plan 1)",
    )
    assert bob.slot("confirming") is True and bob.slot("confirmed_amount") == "40.00"
    assert bob.slot("settle_key").startswith("settle-")


async def test_another_card_needs_one_that_has_not_expired(tokens, domain):
    alice = Conversation(tokens["alice"], domain)
    await alice.say("pay", "settle_balance", named("Standard"))
    turn = await alice.say("use another card", "use_other_card")
    assert turn.responses == ["utter_no_other_card_saved", "utter_options_owner"]
    assert turn.slots["settle_method"] is None


async def test_a_message_that_says_nothing_new_asks_the_pending_question_again(tokens, domain):
    alice = Conversation(tokens["alice"], domain)
    await alice.say("pay", "settle_balance", named("Standard"))
    turn = await alice.say("hmm", "inform")
    assert turn.requested == "settle_method" and turn.responses == ["utter_options_owner"]
    # A message about something else is left to the rules: the form is rejected, nothing changes.
    turn = await alice.say("what's the weather like?", "out_of_scope")
    assert turn.rejected and turn.slots == {"requested_slot": "settle_method"} and turn.said == []


# --- The confirmation --------------------------------------------------------------------------------


async def test_the_confirmation_asked_again_is_the_same_attempt(tokens, domain):
    bob = await bob_at_confirmation(tokens, domain)
    key = bob.slot("settle_key")
    turn = await bob.say("say that again", "repeat")
    assert turn.responses == ["utter_confirm_payment"] and turn.asked[0]["amount"] == "€40.00"
    assert bob.slot("settle_key") == key


async def test_another_card_at_the_confirmation_is_a_new_attempt(tokens, domain):
    bob = await bob_at_confirmation(tokens, domain)
    key = bob.slot("settle_key")
    turn = await bob.say("use my Mastercard 4444 instead", "use_other_card", card_named("4444", "mastercard"))
    assert turn.slots["confirming"] is False and turn.slots["settle_key"] is None  # the old one is void
    assert turn.responses == ["utter_confirm_payment"]
    assert bob.slot("settle_key").startswith("settle-") and bob.slot("settle_key") != key


async def test_another_subscription_at_the_confirmation_voids_it(tokens, domain):
    bob = Conversation(tokens["bob"], domain)
    await bob.say("pay Exchange", "settle_balance", named("Exchange"))
    await bob.say("with my Mastercard", "use_other_card", card_named("4444", "mastercard"))
    turn = await choose(bob, STANDARD)
    assert responses(turn.said) == ["utter_updated"]
    assert turn.slots["settle_key"] is None and turn.slots["payment_method_id"] is None
    assert turn.requested == "payment_method_id" and responses(turn.asked) == ["utter_choose_card"]


# --- The payment -------------------------------------------------------------------------------------


async def test_a_confirmed_payment_is_charged_once_with_a_receipt(tokens, domain, billing):
    bob = await bob_at_confirmation(tokens, domain)
    retried = bob.fork()  # the same "yes" delivered twice (a retried request)
    turn = await bob.say("yes", "affirm")
    assert turn.slots["payment_confirmed"] is True and turn.requested is None
    assert turn.responses == ["utter_payment_succeeded", "utter_settle_next"]
    receipt = turn.settled[0]["receipt"]
    assert receipt.startswith("RCPT-") and turn.settled[0]["amount"] == "€40.00"
    assert titles(turn.settled[1]) == ["Microsoft 365 Business Standard"]  # the next one to settle
    assert not bob.form_active and bob.slot("subscription_id") is None and bob.slot("settle_key") is None
    again = await retried.say("yes", "affirm")
    assert again.settled[0]["receipt"] == receipt  # replayed, not charged again
    sub = subscription(billing, tokens["bob"], EXCHANGE)
    assert sub["state"] == "active" and sub["outstanding"]["amount"] == "0.00"
    assert [c["receipt_ref"] for c in succeeded(billing, tokens["bob"], EXCHANGE)] == [receipt]


async def test_no_to_the_confirmation_charges_nothing(tokens, domain, billing):
    bob = await bob_at_confirmation(tokens, domain)
    turn = await bob.say("no", "deny")
    assert turn.slots["payment_confirmed"] is False and turn.responses == ["utter_payment_not_confirmed"]
    assert bob.slot("settle_key") is None and bob.slot("settle_method") is None
    assert bob.slot("subscription_id") == EXCHANGE  # still the one to settle
    assert subscription(billing, tokens["bob"], EXCHANGE)["state"] == "past_due"
    assert succeeded(billing, tokens["bob"], EXCHANGE) == []


async def test_an_unknown_outcome_keeps_the_attempt_and_its_key(tokens, domain, billing, monkeypatch):
    """Billing charged, but its answer never arrived: "yes" again must not charge a second time."""
    bob = await bob_at_confirmation(tokens, domain)
    key = bob.slot("settle_key")
    settle = BillingClient.settle

    async def answer_lost(self, *args, **kwargs):
        await settle(self, *args, **kwargs)
        raise BillingUnavailable("billing answered 504")

    monkeypatch.setattr(BillingClient, "settle", answer_lost)
    turn = await bob.say("yes", "affirm")
    assert turn.responses == ["utter_payment_outcome_unknown"]
    assert bob.slot("confirming") is True and bob.slot("settle_key") == key
    monkeypatch.setattr(BillingClient, "settle", settle)
    await bob.message("yes", "affirm")  # the rule on `confirming`: action_settle again
    messages, _ = await bob.run(ActionSettle())
    assert responses(messages)[0] == "utter_payment_succeeded"
    charged = succeeded(billing, tokens["bob"], EXCHANGE)
    assert len(charged) == 1 and messages[0]["receipt"] == charged[0]["receipt_ref"]


async def test_billing_unreachable_at_the_payment_then_yes_again_pays_once(
    tokens, domain, billing, monkeypatch
):
    bob = await bob_at_confirmation(tokens, domain)
    use_settings(billing_url=DOWN)
    turn = await bob.say("yes", "affirm")
    assert turn.responses == ["utter_payment_outcome_unknown"]
    kept = {e["name"]: e["value"] for e in turn.settle_events}
    assert kept == {"confirming": True, "payment_confirmed": None}  # the key stays; a new "yes" is needed
    use_settings(billing_url=billing["url"])
    await bob.message("yes", "affirm")
    messages, _ = await bob.run(ActionSettle())
    assert responses(messages) == ["utter_payment_succeeded", "utter_settle_next"]
    assert len(succeeded(billing, tokens["bob"], EXCHANGE)) == 1


@pytest.mark.date_sensitive
@pytest.mark.parametrize(
    ("number", "code", "reason"),
    [
        ("4000000000000002", "card_declined", "the bank declined the card."),
        ("4000000000009995", "insufficient_funds", "the card has insufficient funds."),
        ("4000000000000069", "expired_card", "the card has expired."),
        ("4000000000000127", "incorrect_cvc", "the security code is incorrect."),
        (
            "4000000000000119",
            "processing_error",
            "the payment processor had a temporary error; trying again in a moment may work.",
        ),
    ],
)
async def test_a_declined_payment_says_why(tokens, domain, billing, number, code, reason):
    dave = await dave_pays_with_a_new_card(tokens, domain, billing, number)
    turn = await dave.say("yes", "affirm")
    assert turn.responses == ["utter_payment_failed"]
    failed = turn.settled[0]
    assert failed["reason"] == reason and failed["amount"] == "€120.00"
    assert failed["card"] == f"Visa •••• {number[-4:]} (12/{year(2)})"
    assert dave.slot("failed_attempts") == 1 and dave.slot("payments_keep_failing") is False
    assert dave.slot("subscription_id") == BASIC and dave.slot("settle_method") is None  # choose again
    assert charges(billing, tokens["dave"], BASIC)[0]["decline_code"] == code  # newest first
    assert subscription(billing, tokens["dave"], BASIC)["state"] == "past_due"


@pytest.mark.date_sensitive
async def test_a_declined_payment_says_why_in_french(tokens, domain, billing):
    dave = Conversation(tokens["dave"], domain, language="fr")
    await dave.say("régler mon solde", "settle_balance")
    card = vaulted(billing, tokens["dave"], number="4000000000009995", cvc="123")
    await dave.say(f"carte •••• 9995 exp 12/{yy(2)} cvc ••• titulaire : Dave Wilson", "add_card", vault=card)
    turn = await dave.say("oui", "affirm")
    assert turn.responses == ["utter_payment_failed"]
    assert turn.settled[0]["reason"] == "les fonds sont insuffisants sur la carte."
    assert turn.settled[0]["amount"] == "120,00\u00a0€"


@pytest.mark.date_sensitive
async def test_the_third_declined_payment_brings_in_a_person(tokens, domain, billing):
    dave = Conversation(tokens["dave"], domain)
    await dave.say("settle my balance", "settle_balance")
    kept_failing = []
    for _ in range(3):
        card = vaulted(billing, tokens["dave"], number="4000000000000002", cvc="123")
        text = f"add my card •••• 0002 exp 12/{yy(2)} cvc ••• name Dave Wilson"
        await dave.say(text, "add_card", vault=card)
        turn = await dave.say("yes", "affirm")
        assert turn.responses == ["utter_payment_failed"]
        kept_failing.append((dave.slot("failed_attempts"), dave.slot("payments_keep_failing")))
    # The rule on `payments_keep_failing` then runs action_request_handoff.
    assert kept_failing == [(1, False), (2, False), (0, True)]
    assert [c["outcome"] for c in charges(billing, tokens["dave"], BASIC)].count("declined") >= 3


async def test_paid_meanwhile_between_the_confirmation_and_yes(tokens, domain, billing):
    bob = await bob_at_confirmation(tokens, domain)
    paid_elsewhere(billing, tokens["bob"], EXCHANGE, BOB_MASTERCARD)
    turn = await bob.say("yes", "affirm")
    assert turn.responses == ["utter_summary_paid_offer"]
    assert turn.settled[0]["product"] == "Exchange Online (Plan 1)"
    assert bob.slot("subscription_id") is None
    assert len(succeeded(billing, tokens["bob"], EXCHANGE)) == 1  # the other tab's only


@pytest.mark.date_sensitive
async def test_paid_meanwhile_before_the_confirmation(tokens, domain, billing):
    bob = Conversation(tokens["bob"], domain)
    await bob.say("pay Exchange", "settle_balance", named("Exchange"))
    await bob.say("use another card", "use_other_card")
    paid_elsewhere(billing, tokens["bob"], EXCHANGE, BOB_MASTERCARD)
    turn = await bob.say(BOB_MASTERCARD_SHOWN, "use_other_card", card_named("4444", "mastercard"))
    assert turn.responses == ["utter_summary_paid_offer"]
    assert bob.slot("settle_stop") == "paid" and bob.slot("confirming") is False
    turn = await bob.say("ok", "affirm")  # the form ends; action_settle forgets the subscription
    assert turn.requested is None and turn.settled == []
    assert bob.slot("subscription_id") is None and not bob.form_active


# --- Cancel, and digressions -------------------------------------------------------------------------


@pytest.mark.date_sensitive
async def test_cancel_stops_the_procedure_and_charges_nothing(tokens, domain, billing):
    alice = Conversation(tokens["alice"], domain)
    await alice.say("pay", "settle_balance", named("Standard"))
    await alice.say("change the expiry date", "update_expiry")
    await alice.say(f"12/{yy(1)}")
    turn = await alice.say("cancel", "cancel")
    assert turn.rejected  # the rule "cancel during the procedure" answers
    messages, events = await alice.run(ActionCancelPayment())
    assert responses(messages) == ["utter_cancelled"]
    assert {"event": "active_loop", "name": None, "timestamp": None} in events
    assert not alice.form_active
    assert [alice.slot(s) for s in ("subscription_id", "settle_method", "new_expiry")] == [None, None, None]
    card = subscription(billing, tokens["alice"], STANDARD)["payment_method"]
    assert (card["exp_month"], card["exp_year"]) == ALICE_VISA_EXPIRY
    assert succeeded(billing, tokens["alice"], STANDARD) == []


async def test_how_much_again_during_the_procedure(tokens, domain):
    alice = Conversation(tokens["alice"], domain)
    await alice.say("pay", "settle_balance", named("Standard"))
    await alice.message("how much was it again?", "ask_balance")
    messages, events = await alice.run(ActionExplainBalance())
    assert responses(messages) == ["utter_summary_card_expired"] and messages[0]["amount"] == "€151.20"
    assert events == []


@pytest.mark.date_sensitive
async def test_why_past_due_with_nothing_due_offers_nothing_to_settle(tokens, domain, billing):
    """Seen by the fuzzer: "nothing to pay", then "Shall I help you settle it?"."""
    paid_elsewhere(billing, tokens["dave"], BASIC, "pm_dave_visa_1881")
    dave = Conversation(tokens["dave"], domain, language="fr")
    await dave.message("pourquoi est-ce en retard ?", "ask_why_past_due")
    messages, _ = await dave.run(ActionExplainBalance())
    assert responses(messages) == ["utter_no_past_due"]


async def test_why_past_due_outside_the_procedure_explains_each_and_offers_to_settle(tokens, domain):
    alice = Conversation(tokens["alice"], domain)
    await alice.message("why is it past due?", "ask_why_past_due")
    messages, _ = await alice.run(ActionExplainBalance())
    assert responses(messages) == [
        "utter_summary_insufficient_funds",
        "utter_summary_card_expired",
        "utter_offer_settle",
    ]
