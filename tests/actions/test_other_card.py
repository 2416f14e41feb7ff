"""Paying with another of the user's own cards (actions/other_card.py): the one they named, or buttons
to choose from; an expired card or another user's card is never offered."""

from __future__ import annotations

import json

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import other_card
from tests.actions.demo import (
    BASIC,
    BOB_MASTERCARD,
    DAVE_VISA,
    EXCHANGE,
    STANDARD,
    card_named,
    named,
    subscription,
    succeeded,
)
from tests.support.dates import BOB_MASTERCARD_EXPIRY, mm_yyyy
from tests.support.trackers import Conversation, responses

CARDS = [
    {"id": "pm_1", "brand": "visa", "last4": "4242", "exp_month": 10, "exp_year": 2026, "expired": True},
    {
        "id": "pm_2",
        "brand": "mastercard",
        "last4": "4444",
        "exp_month": 8,
        "exp_year": 2029,
        "expired": False,
    },
    {"id": "pm_3", "brand": "visa", "last4": "4444", "exp_month": 1, "exp_year": 2030, "expired": False},
]


def ids(cards) -> list[str]:
    return [c["id"] for c in cards]


# --- Pure parts ----------------------------------------------------------------------------------------


def test_an_expired_card_is_not_usable():
    assert ids(other_card.usable(CARDS)) == ["pm_2", "pm_3"]


def test_a_card_is_picked_by_its_last_four_and_brand():
    assert ids(other_card.pick(CARDS, None, "4444")) == ["pm_2", "pm_3"]
    assert ids(other_card.pick(CARDS, "Mastercard", "4444")) == ["pm_2"]  # the brand as the user wrote it
    assert ids(other_card.pick(CARDS, "visa", None)) == ["pm_1", "pm_3"]
    assert other_card.pick(CARDS, None, "1234") == []


def test_each_card_is_offered_as_a_button_naming_brand_and_last_four():
    dispatcher = CollectingDispatcher()
    other_card.offer(dispatcher, other_card.usable(CARDS))
    [message] = dispatcher.messages
    assert message["response"] == "utter_choose_card"
    assert [b["title"] for b in message["buttons"]] == [
        "Mastercard •••• 4444 (08/2029)",
        "Visa •••• 4444 (01/2030)",
    ]
    payload = message["buttons"][0]["payload"]
    assert payload.startswith("/use_other_card{")
    assert json.loads(payload.removeprefix("/use_other_card")) == {
        "last_four": "4444",
        "card_brand": "mastercard",
    }


# --- In the procedure -----------------------------------------------------------------------------------


@pytest.mark.date_sensitive
async def test_the_users_cards_are_offered_and_a_tap_picks_one(tokens, domain):
    bob_mastercard = f"Mastercard •••• 4444 ({mm_yyyy(BOB_MASTERCARD_EXPIRY)})"  # seeded, relative to today
    bob = Conversation(tokens["bob"], domain)
    await bob.say("pay Business Standard", "settle_balance", named("Standard"))  # Alice's card on file
    turn = await bob.say("use one of my cards", "use_other_card")
    assert turn.requested == "payment_method_id" and turn.responses == ["utter_choose_card"]
    assert [b["title"] for b in turn.asked[0]["buttons"]] == [bob_mastercard]  # not Alice's
    turn = await bob.say("/use_other_card", "use_other_card", card_named("4444", "mastercard"))
    assert turn.slots["payment_method_id"] == BOB_MASTERCARD and turn.requested == "payment_confirmed"
    assert turn.responses == ["utter_confirm_payment"]
    assert turn.asked[0]["card"] == bob_mastercard and turn.asked[0]["amount"] == "€151.20"


async def test_paying_with_another_card_makes_it_the_card_on_file(tokens, domain, billing):
    bob = Conversation(tokens["bob"], domain)
    await bob.say("pay Business Standard", "settle_balance", named("Standard"))
    await bob.say("with my Mastercard 4444", "use_other_card", card_named("4444", "mastercard"))
    turn = await bob.say("yes", "affirm")
    assert responses(turn.settled)[0] == "utter_payment_succeeded"
    card = subscription(billing, tokens["bob"], STANDARD)["payment_method"]
    assert card["id"] == BOB_MASTERCARD and card["owned_by_caller"] is True
    assert len(succeeded(billing, tokens["bob"], STANDARD)) == 1


async def test_a_card_named_with_the_choice_goes_straight_to_the_confirmation(tokens, domain):
    dave = Conversation(tokens["dave"], domain)
    await dave.say("settle my balance", "settle_balance")
    turn = await dave.say("with my visa 1881", "use_other_card", card_named("1881", "visa"))
    assert turn.slots["payment_method_id"] == DAVE_VISA
    assert turn.responses == ["utter_confirm_payment"] and dave.slot("subscription_id") == BASIC


async def test_a_card_named_with_no_choice_made_means_another_card(tokens, domain):
    bob = Conversation(tokens["bob"], domain)
    await bob.say("pay Exchange", "settle_balance", named("Exchange"))
    turn = await bob.say("the one ending 4444", "inform", card_named("4444"))
    assert turn.slots["settle_method"] == "use_other_card"
    assert turn.slots["payment_method_id"] == BOB_MASTERCARD and turn.responses == ["utter_confirm_payment"]
    assert bob.slot("subscription_id") == EXCHANGE


async def test_a_card_the_user_does_not_have_is_said_and_the_cards_offered(tokens, domain):
    bob = Conversation(tokens["bob"], domain)
    await bob.say("pay Exchange", "settle_balance", named("Exchange"))
    turn = await bob.say("my Visa 1234", "use_other_card", card_named("1234", "visa"))
    assert turn.responses == ["utter_card_not_found", "utter_choose_card"]
    assert turn.said[0]["wanted"] == "visa 1234"
    assert turn.slots["payment_method_id"] is None and turn.requested == "payment_method_id"


async def test_the_digits_after_the_brand_count_when_the_nlu_missed_them(tokens, domain):
    # One DIET seed reads the brand of "my Mastercard 5100" and not the digits: the Mastercard he has
    # (•••• 4444) must not be taken for the one he named.
    bob = Conversation(tokens["bob"], domain)
    await bob.say("pay Exchange", "settle_balance", named("Exchange"))
    turn = await bob.say("with my Mastercard 5100", "use_other_card", card_named(None, "mastercard"))
    assert turn.responses == ["utter_card_not_found", "utter_choose_card"]
    assert turn.said[0]["wanted"] == "mastercard 5100" and bob.slot("payment_method_id") is None


async def test_another_users_card_cannot_be_named(tokens, domain):
    bob = Conversation(tokens["bob"], domain)
    await bob.say("pay Business Standard", "settle_balance", named("Standard"))
    turn = await bob.say("with the Visa 4242", "use_other_card", card_named("4242", "visa"))  # Alice's
    assert turn.responses == ["utter_card_not_found", "utter_choose_card"]
    assert bob.slot("payment_method_id") is None
