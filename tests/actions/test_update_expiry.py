"""Changing the expiration date of the card on file (actions/update_expiry.py): only its owner may, the
security code is asked again, and the new date really lands in billing before the payment."""

from __future__ import annotations

import pytest

from actions import update_expiry
from actions.settle_digressions import ActionExplainBalance
from tests.actions.demo import ALICE_VISA, STANDARD, named, subscription, succeeded, use_settings
from tests.support.dates import ALICE_VISA_EXPIRY, LAST_MONTH, THIS_MONTH, mm_yyyy, year, yy
from tests.support.trackers import Conversation, responses, vaulted

# Every date is relative to the tests' date (TEST_TODAY): "12/27" in December 2026 is f"12/{yy(1)}".
pytestmark = pytest.mark.date_sensitive

DOWN = "http://127.0.0.1:9"


def card_on_file(billing, token) -> tuple[int, int]:
    card = subscription(billing, token, STANDARD)["payment_method"]
    return card["exp_month"], card["exp_year"]


async def alice_asked_for_the_date(tokens, domain, language: str = "en") -> Conversation:
    alice = Conversation(tokens["alice"], domain, language=language)
    await alice.say("pay", "settle_balance", named("Standard"))
    turn = await alice.say("change the expiry date", "update_expiry")
    assert turn.requested == "new_expiry" and turn.responses == ["utter_ask_new_expiry"], turn.responses
    return alice


# --- Who may change it ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("card", "refusal"),
    [
        (None, "utter_no_card_on_file"),
        ({}, "utter_no_card_on_file"),
        ({"id": ALICE_VISA, "brand": "visa", "last4": "4242", "owned_by_caller": True}, None),
        pytest.param(
            # What billing shows of another admin's card: no id, no expiry.
            {"brand": "mastercard", "last4": "4444", "owned_by_caller": False},
            "utter_not_card_owner"
        ),
    ],
)
def test_who_may_change_the_card_on_file(card, refusal):
    assert update_expiry.refusal(card or {}) == refusal


# --- The new date and the security code ----------------------------------------------------------------


async def test_the_new_date_is_saved_then_the_payment_offered(tokens, domain, billing):
    alice = await alice_asked_for_the_date(tokens, domain)
    turn = await alice.say(f"12/{yy(1)}")
    assert turn.slots["new_expiry"] == f"12/{year(1)}" and turn.requested == "security_code_token"
    assert turn.responses == ["utter_ask_security_code_token"]
    assert card_on_file(billing, tokens["alice"]) == ALICE_VISA_EXPIRY  # nothing saved before the code
    turn = await alice.say("•••", vault=vaulted(billing, tokens["alice"], cvc="123"))
    assert turn.responses == ["utter_expiry_updated", "utter_confirm_payment"]
    assert turn.said[0]["card"] == "Visa •••• 4242" and turn.said[0]["expiry"] == f"12/{year(1)}"
    assert turn.slots["payment_method_id"] == ALICE_VISA and turn.requested == "payment_confirmed"
    assert turn.slots["security_code_token"] is None  # used: never kept
    assert turn.asked[0]["card"] == f"Visa •••• 4242 (12/{year(1)})" and turn.asked[0]["amount"] == "€151.20"
    assert card_on_file(billing, tokens["alice"]) == (12, year(1))
    turn = await alice.say("yes", "affirm")
    assert turn.responses[0] == "utter_payment_succeeded"
    assert len(succeeded(billing, tokens["alice"], STANDARD)) == 1


async def test_the_date_and_the_code_in_one_message(tokens, domain, billing):
    alice = await alice_asked_for_the_date(tokens, domain)
    turn = await alice.say(f"12/{yy(1)}, code •••", vault=vaulted(billing, tokens["alice"], cvc="123"))
    assert turn.responses == ["utter_expiry_updated", "utter_confirm_payment"]
    assert card_on_file(billing, tokens["alice"]) == (12, year(1))


async def test_once_the_new_date_is_saved_the_card_is_no_longer_said_to_be_expired(tokens, domain, billing):
    alice = await alice_asked_for_the_date(tokens, domain)
    messages, _ = await alice.run(ActionExplainBalance())
    assert responses(messages) == ["utter_summary_card_expired"]
    await alice.say(f"12/{yy(1)}, code •••", vault=vaulted(billing, tokens["alice"], cvc="123"))
    messages, _ = await alice.run(ActionExplainBalance())  # "why is it late?" at the confirmation
    assert responses(messages) == ["utter_summary_card_renewed"]
    assert messages[0]["card"] == f"Visa •••• 4242 (12/{year(1)})"


async def test_a_card_another_admin_added_is_still_said_to_be_expired(tokens, domain):
    """Bob sees Alice's card without its date: that is no reason to say it has a new one."""
    bob = Conversation(tokens["bob"], domain)
    await bob.say("pay Business Standard", "settle_balance", named("Business Standard"))
    messages, _ = await bob.run(ActionExplainBalance())
    assert responses(messages) == ["utter_summary_card_expired"]


async def test_the_choice_the_date_and_the_code_in_one_message(tokens, domain, billing):
    alice = Conversation(tokens["alice"], domain)
    await alice.say("pay", "settle_balance", named("Standard"))
    code = vaulted(billing, tokens["alice"], cvc="123")
    turn = await alice.say(f"change the expiry to exp 08/{yy(5)}, cvc •••", "update_expiry", vault=code)
    assert turn.responses == ["utter_expiry_updated", "utter_confirm_payment"]
    assert card_on_file(billing, tokens["alice"]) == (8, year(5))


async def test_a_date_in_french(tokens, domain, billing):
    alice = await alice_asked_for_the_date(tokens, domain, language="fr")
    turn = await alice.say(f"décembre {year(1)}")
    assert turn.slots["new_expiry"] == f"12/{year(1)}" and turn.requested == "security_code_token"


@pytest.mark.parametrize(
    ("text", "said", "details"),
    [
        ("13/27", "utter_invalid_month", {"month": "13"}),
        ("fin 2027", "utter_expiry_ambiguous", {"year": 2027}),
        (mm_yyyy(LAST_MONTH), "utter_expiry_in_past", {"expiry": mm_yyyy(LAST_MONTH)}),
        ("next year", "utter_invalid_expiry_format", {"value": "next year"}),
    ],
)
async def test_a_date_that_cannot_be_used_is_asked_again(tokens, domain, billing, text, said, details):
    alice = await alice_asked_for_the_date(tokens, domain)
    turn = await alice.say(text)
    assert turn.responses == [said, "utter_ask_new_expiry"]
    assert details.items() <= turn.said[0].items()
    assert turn.slots["new_expiry"] is None and turn.requested == "new_expiry"
    assert turn.slots["invalid_answers"] == 1


async def test_this_month_is_not_in_the_past(tokens, domain):
    alice = await alice_asked_for_the_date(tokens, domain)
    turn = await alice.say(mm_yyyy(THIS_MONTH))
    assert turn.slots["new_expiry"] == mm_yyyy(THIS_MONTH)
    assert turn.responses == ["utter_ask_security_code_token"]


async def test_two_unusable_answers_in_a_row_explain_the_way_out(tokens, domain):
    alice = await alice_asked_for_the_date(tokens, domain)
    await alice.say("13/27")
    turn = await alice.say("fin 2027")
    assert turn.responses == ["utter_expiry_ambiguous", "utter_form_help", "utter_ask_new_expiry"]
    assert turn.slots["invalid_answers"] == 0


async def test_the_year_corrected_while_the_code_is_asked(tokens, domain, billing):
    alice = await alice_asked_for_the_date(tokens, domain)
    await alice.say(f"03/{year(4)}")
    turn = await alice.say(f"oops, the year is {year(5)}")
    assert responses(turn.said) == ["utter_updated"] and turn.said[0]["value"] == f"03/{year(5)}"
    assert turn.slots["new_expiry"] == f"03/{year(5)}" and turn.requested == "security_code_token"
    await alice.say("•••", vault=vaulted(billing, tokens["alice"], cvc="123"))
    assert card_on_file(billing, tokens["alice"]) == (3, year(5))


async def test_a_whole_date_given_while_the_code_is_asked_replaces_the_first(tokens, domain):
    alice = await alice_asked_for_the_date(tokens, domain)
    await alice.say(f"12/{yy(1)}")
    turn = await alice.say(f"sorry, 12/{yy(2)}")
    # Not a wrong security code: the message answered something else.
    assert turn.responses == ["utter_updated", "utter_ask_security_code_token"]
    assert turn.slots["new_expiry"] == f"12/{year(2)}" and turn.slots["invalid_answers"] == 0


async def test_a_security_code_the_channel_could_not_vault_is_refused(tokens, domain):
    alice = await alice_asked_for_the_date(tokens, domain)
    await alice.say(f"12/{yy(1)}")
    turn = await alice.say("•••••", vault={"error": "invalid_cvc"})
    assert turn.responses == ["utter_invalid_cvc", "utter_ask_security_code_token"]
    assert turn.slots["security_code_token"] is None and turn.slots["invalid_answers"] == 1


async def test_a_code_billing_refuses_is_the_only_answer_asked_again(tokens, domain, billing):
    alice = await alice_asked_for_the_date(tokens, domain)
    await alice.say(f"12/{yy(1)}")
    turn = await alice.say("••••", vault=vaulted(billing, tokens["alice"], cvc="1234"))  # 4 digits, a Visa
    assert turn.responses == ["utter_card_refused", "utter_ask_security_code_token"]
    assert (
        turn.said[0]["reason"] == "the security code doesn't have the right number of digits for this card."
    )
    assert alice.slot("new_expiry") == f"12/{year(1)}" and alice.slot("payment_method_id") is None
    assert card_on_file(billing, tokens["alice"]) == ALICE_VISA_EXPIRY
    turn = await alice.say("•••", vault=vaulted(billing, tokens["alice"], cvc="123"))
    assert turn.responses == ["utter_expiry_updated", "utter_confirm_payment"]


async def test_try_again_after_billing_was_down_does_not_call_the_code_invalid(
    tokens, domain, billing, monkeypatch
):
    alice = await alice_asked_for_the_date(tokens, domain)
    await alice.say(f"12/{yy(1)}")
    use_settings(billing_url=DOWN)
    turn = await alice.say("•••", vault=vaulted(billing, tokens["alice"], cvc="123"))
    assert turn.responses == ["utter_billing_unavailable"]
    use_settings(billing_url=billing["url"])
    turn = await alice.say("try again", "settle_balance")
    assert alice.slot("new_expiry") == f"12/{year(1)}" and turn.requested == "security_code_token"
    assert turn.responses == ["utter_ask_security_code_token"]
