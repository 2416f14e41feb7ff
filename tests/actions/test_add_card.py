"""Adding a new card (actions/add_card.py): the number and code arrive as vault tokens only, the
details come in any order and any number per message, and the card is saved before the payment."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import add_card
from tests.actions.demo import (
    ALICE_VISA,
    E3,
    EXCHANGE,
    STANDARD,
    added_in_the_widget,
    named,
    own_cards,
    subscription,
    succeeded,
)
from tests.support.dates import mm_yyyy, months_from_now, year, yy
from tests.support.trackers import Conversation, responses, tracker, vaulted

VISA = "4242424242424242"


async def bob_asked_for_a_number(tokens, domain) -> Conversation:
    bob = Conversation(tokens["bob"], domain)
    await bob.say("pay Exchange", "settle_balance", named("Exchange"))
    turn = await bob.say("add a new card", "add_card")
    assert turn.requested == "card_number_token" and turn.responses == ["utter_ask_card_number_token"]
    return bob


def last_fours(billing, token) -> list[str]:
    return [c["last4"] for c in own_cards(billing, token)]


# --- Pure parts ----------------------------------------------------------------------------------------


def test_a_card_number_is_only_taken_as_the_channels_vault_token():
    vault = {"card_number_token": "pan_tok_1", "brand": "visa", "last4": "4242"}
    dispatcher = CollectingDispatcher()
    answer = add_card.number_answer(
        dispatcher, tracker(None, text="•••• 4242", metadata={"vault": vault}), False
    )
    assert answer == {
        "card_number_token": "pan_tok_1",
        "invalid_answers": 0,
        "new_card_label": "Visa •••• 4242",
    }
    assert dispatcher.messages == []
    answer = add_card.number_answer(dispatcher, tracker(None, text="4242 4242 4242 4242"), False)
    assert answer == {"card_number_token": None, "invalid_answers": 1}
    assert responses(dispatcher.messages) == ["utter_invalid_card_number"]


@pytest.mark.parametrize(
    ("value", "holder"),
    [
        ("Alice Martin", "Alice Martin"),
        ("Zoë O'Brien-Lefèvre", "Zoë O'Brien-Lefèvre"),
        ("  Bob   Durand ", "Bob Durand"),
        ("my name is Bob Durand", "Bob Durand"),
        ("4242", None),
        ("x", None),
        ("a" * 150, None),
    ],
)
def test_the_cardholders_name(value, holder):
    dispatcher = CollectingDispatcher()
    answer = add_card.holder_answer(value, dispatcher, tracker(None, text=value), False)
    assert answer["card_holder"] == holder
    assert responses(dispatcher.messages) == ([] if holder else ["utter_invalid_holder"])


# --- The card, step by step or all at once --------------------------------------------------------------


@pytest.mark.date_sensitive
async def test_a_new_card_step_by_step_is_saved_then_pays(tokens, domain, billing):
    bob = await bob_asked_for_a_number(tokens, domain)
    turn = await bob.say("•••• 4242", vault=vaulted(billing, tokens["bob"], number=VISA))
    assert turn.slots["new_card_label"] == "Visa •••• 4242" and turn.requested == "card_expiry"
    turn = await bob.say(f"12/{yy(2)}")
    assert turn.slots["card_expiry"] == f"12/{year(2)}" and turn.requested == "security_code_token"
    turn = await bob.say("•••", vault=vaulted(billing, tokens["bob"], cvc="123"))
    assert turn.requested == "card_holder" and turn.responses == ["utter_ask_card_holder"]
    assert last_fours(billing, tokens["bob"]) == ["4444"]  # nothing saved before the last detail
    turn = await bob.say("Bob Durand")
    assert turn.responses == ["utter_card_added", "utter_confirm_payment"]
    assert turn.said[0]["card"] == f"Visa •••• 4242 (12/{year(2)})"
    assert turn.slots["security_code_token"] is None and turn.requested == "payment_confirmed"
    new = next(c for c in own_cards(billing, tokens["bob"]) if c["last4"] == "4242")
    assert (new["exp_month"], new["exp_year"], new["holder_name"]) == (12, year(2), "Bob Durand")
    assert bob.slot("payment_method_id") == new["id"]
    turn = await bob.say("yes", "affirm")
    assert turn.responses == ["utter_payment_succeeded", "utter_card_now_pays", "utter_settle_next"]
    assert turn.settled[1]["products"] == "Microsoft 365 E3"  # it used the declined Mastercard too
    for sub_id in (EXCHANGE, E3):
        assert subscription(billing, tokens["bob"], sub_id)["payment_method"]["id"] == new["id"]
    assert succeeded(billing, tokens["bob"], EXCHANGE)[0]["receipt_ref"] == turn.settled[0]["receipt"]


@pytest.mark.date_sensitive
async def test_everything_in_one_message(tokens, domain, billing):
    bob = Conversation(tokens["bob"], domain)
    await bob.say("pay Exchange", "settle_balance", named("Exchange"))
    card = vaulted(billing, tokens["bob"], number=VISA, cvc="123")
    text = f"add my card •••• 4242 exp 12/{yy(2)} cvc ••• name Bob Durand"
    turn = await bob.say(text, "add_card", vault=card)
    assert turn.responses == ["utter_card_added", "utter_confirm_payment"]
    assert turn.slots["card_holder"] == "Bob Durand" and turn.slots["card_expiry"] == f"12/{year(2)}"
    assert sorted(last_fours(billing, tokens["bob"])) == ["4242", "4444"]


async def test_a_card_number_with_no_choice_made_means_a_new_card(tokens, domain, billing):
    bob = Conversation(tokens["bob"], domain)
    await bob.say("pay Exchange", "settle_balance", named("Exchange"))
    turn = await bob.say("here: •••• 4242", vault=vaulted(billing, tokens["bob"], number=VISA))
    assert turn.slots["settle_method"] == "add_card" and turn.requested == "card_expiry"
    assert bob.slot("card_number_token") is not None


@pytest.mark.date_sensitive
async def test_the_holder_given_early_is_not_asked_for(tokens, domain, billing):
    bob = await bob_asked_for_a_number(tokens, domain)
    await bob.say("•••• 4242", vault=vaulted(billing, tokens["bob"], number=VISA))
    turn = await bob.say("titulaire : Marie Dupont")
    assert turn.slots["card_holder"] == "Marie Dupont" and turn.requested == "card_expiry"
    assert turn.responses == ["utter_ask_card_expiry"]  # no "invalid date": it answered something else
    await bob.say(f"décembre {year(1)}")
    turn = await bob.say("•••", vault=vaulted(billing, tokens["bob"], cvc="123"))
    assert turn.responses == ["utter_card_added", "utter_confirm_payment"]
    new = next(c for c in own_cards(billing, tokens["bob"]) if c["last4"] == "4242")
    assert new["holder_name"] == "Marie Dupont"


@pytest.mark.date_sensitive
async def test_the_holder_and_the_date_in_one_message(tokens, domain, billing):
    bob = await bob_asked_for_a_number(tokens, domain)
    await bob.say("•••• 4242", vault=vaulted(billing, tokens["bob"], number=VISA))
    turn = await bob.say(f"name Bob Durand exp 12/{yy(2)}")
    assert turn.slots["card_expiry"] == f"12/{year(2)}" and turn.slots["card_holder"] == "Bob Durand"


async def test_a_number_that_is_not_a_card_number(tokens, domain):
    bob = await bob_asked_for_a_number(tokens, domain)
    turn = await bob.say("•••• 4241", vault={"error": "invalid_card_number"})
    assert turn.responses == ["utter_invalid_card_number", "utter_ask_card_number_token"]
    assert turn.slots["card_number_token"] is None and turn.slots["invalid_answers"] == 1


async def test_the_first_part_of_a_number_typed_in_two_messages(tokens, domain):
    bob = await bob_asked_for_a_number(tokens, domain)
    turn = await bob.say("••••", vault={"error": "partial_card_number"})
    assert turn.responses == ["utter_card_number_first_part", "utter_ask_card_number_token"]
    assert "invalid_answers" not in turn.slots  # not a wrong answer


@pytest.mark.date_sensitive
async def test_a_new_cards_date_in_the_past(tokens, domain, billing):
    bob = await bob_asked_for_a_number(tokens, domain)
    await bob.say("•••• 4242", vault=vaulted(billing, tokens["bob"], number=VISA))
    turn = await bob.say(mm_yyyy(months_from_now(-2)))
    assert turn.responses == ["utter_expiry_in_past", "utter_ask_card_expiry"]


@pytest.mark.date_sensitive
async def test_an_invalid_holder_is_asked_again(tokens, domain, billing):
    bob = await bob_asked_for_a_number(tokens, domain)
    await bob.say(
        f"•••• 4242 exp 12/{yy(2)} cvc •••", vault=vaulted(billing, tokens["bob"], number=VISA, cvc="123")
    )
    turn = await bob.say("x")
    assert turn.responses == ["utter_invalid_holder", "utter_ask_card_holder"]
    assert last_fours(billing, tokens["bob"]) == ["4444"]


async def test_a_new_code_or_number_replaces_the_first_and_says_so(tokens, domain, billing):
    bob = await bob_asked_for_a_number(tokens, domain)
    await bob.say("•••• 4242 cvc •••", vault=vaulted(billing, tokens["bob"], number=VISA, cvc="123"))
    code = vaulted(billing, tokens["bob"], cvc="456")
    turn = await bob.say("oh, the code is •••", vault=code)
    assert turn.responses == ["utter_updated_security_code_token", "utter_ask_card_expiry"]
    assert bob.slot("security_code_token") == code["security_code_token"]
    turn = await bob.say("no, •••• 4444", vault=vaulted(billing, tokens["bob"], number="5555555555554444"))
    assert turn.responses == ["utter_updated_card_number_token", "utter_ask_card_expiry"]
    assert bob.slot("new_card_label") == "Mastercard •••• 4444"


@pytest.mark.date_sensitive
async def test_a_code_billing_refuses_is_the_only_answer_asked_again(tokens, domain, billing):
    bob = await bob_asked_for_a_number(tokens, domain)
    number = vaulted(billing, tokens["bob"], number=VISA)
    await bob.say("•••• 4242", vault=number)
    await bob.say(f"12/{yy(2)}")
    await bob.say("••••", vault=vaulted(billing, tokens["bob"], cvc="1234"))  # 4 digits, a Visa
    turn = await bob.say("Bob Durand")
    assert turn.responses == ["utter_card_refused", "utter_ask_security_code_token"]
    assert turn.slots["security_code_token"] is None and turn.requested == "security_code_token"
    assert bob.slot("card_number_token") == number["card_number_token"]
    assert bob.slot("card_holder") == "Bob Durand" and bob.slot("card_expiry") == f"12/{year(2)}"
    assert last_fours(billing, tokens["bob"]) == ["4444"]


# --- A card saved in the widget's secure form ----------------------------------------------------------


@pytest.mark.date_sensitive
async def test_a_card_from_the_secure_form_goes_straight_to_the_confirmation(tokens, domain, billing):
    card_id = added_in_the_widget(billing, tokens["bob"])
    bob = Conversation(tokens["bob"], domain)
    await bob.say("pay Exchange", "settle_balance", named("Exchange"))
    turn = await bob.say("/card_added", "card_added", [{"entity": "added_card_id", "value": card_id}])
    assert turn.responses == ["utter_card_added", "utter_confirm_payment"]
    assert turn.slots["payment_method_id"] == card_id and turn.slots["settle_method"] == "add_card"
    assert turn.asked[0]["card"] == f"Visa •••• 4242 (12/{year(2)})"


@pytest.mark.date_sensitive
async def test_a_card_from_the_secure_form_before_the_subscription_is_chosen(tokens, domain, billing):
    card_id = added_in_the_widget(billing, tokens["bob"])
    bob = Conversation(tokens["bob"], domain)
    turn = await bob.say("/card_added", "card_added", [{"entity": "added_card_id", "value": card_id}])
    assert turn.responses == ["utter_card_added", "utter_past_due_several"]
    turn = await bob.say("Exchange", "choose_subscription", named("Exchange Online (Plan 1)"))
    assert turn.responses == ["utter_confirm_payment"] and bob.slot("payment_method_id") == card_id


@pytest.mark.date_sensitive
async def test_another_users_card_id_is_not_theirs_to_use(tokens, domain, billing):
    card_id = added_in_the_widget(billing, tokens["bob"])
    alice = Conversation(tokens["alice"], domain)
    await alice.say("pay", "settle_balance", named("Standard"))
    turn = await alice.say("/card_added", "card_added", [{"entity": "added_card_id", "value": card_id}])
    assert turn.responses == ["utter_card_not_found", "utter_options_owner"]
    assert alice.slot("payment_method_id") is None
    assert subscription(billing, tokens["alice"], STANDARD)["payment_method"]["id"] == ALICE_VISA


@pytest.mark.date_sensitive
async def test_a_date_read_as_update_expiry_while_a_new_card_is_given_corrects_that_cards_date(
    tokens, domain, billing
):
    # One DIET seed reads "sorry, the expiry is 06/2031" as update_expiry: it is still the new card's date.
    bob = await bob_asked_for_a_number(tokens, domain)
    await bob.say("•••• 4242", vault=vaulted(billing, tokens["bob"], number=VISA))
    await bob.say(f"12/{yy(2)}")
    turn = await bob.say(f"sorry, the expiry is 06/{year(5)}", "update_expiry")
    assert turn.responses == ["utter_updated", "utter_ask_security_code_token"]
    assert turn.slots["settle_method"] == "add_card" and turn.slots["card_expiry"] == f"06/{year(5)}"
    assert bob.slot("new_card_label") == "Visa •••• 4242"


async def test_asking_for_the_expiry_change_without_a_date_leaves_the_new_card(tokens, domain, billing):
    bob = await bob_asked_for_a_number(tokens, domain)
    await bob.say("•••• 4242", vault=vaulted(billing, tokens["bob"], number=VISA))
    turn = await bob.say("actually I'd rather change the expiry date of my card", "update_expiry")
    assert bob.slot("settle_method") == "update_expiry" and turn.requested == "new_expiry"
    assert bob.slot("card_number_token") is None  # the new card's details no longer apply
