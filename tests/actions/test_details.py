"""Reading card details from any message (actions/details.py): pure functions, on the tests' date
(conftest's `fixed_today`: TEST_TODAY, else the system's date)."""

from __future__ import annotations

from datetime import date

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import details
from tests.support.dates import LAST_MONTH, THIS_MONTH, mm_yyyy, year, yy
from tests.support.trackers import responses, tracker

# --- Expiry mentions -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("exp 08/31", "08/2031"),
        ("expires 8/2031", "08/2031"),
        ("exp: 1/29", "01/2029"),
        ("12-2027", "12/2027"),
        ("valid until 12/2027.", "12/2027"),
        ("décembre 2027", "12/2027"),
        ("Décembre 2027", "12/2027"),
        ("dec 27", "12/2027"),
        ("sept 2028", "09/2028"),
        ("août 2028", "08/2028"),
        ("card •••• 4242 exp 12/28 cvc •••", "12/2028"),
    ],
)
def test_an_expiry_written_anywhere_in_a_message(text, expected):
    assert details.mentioned_expiry(text, None) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("oops, the year is 2031", "03/2031"),
        ("year 2031", "03/2031"),
        ("l'année est 2031", "03/2031"),
        ("le mois est 04", "04/2030"),
        ("the month is 4", "04/2030"),
        ("month 4 year 2031", "04/2031"),
        ("le mois est 4 et l'année 2031", "04/2031"),
    ],
)
def test_a_correction_of_one_part_of_the_date_given(text, expected):
    assert details.mentioned_expiry(text, "03/2030") == expected


def test_a_part_of_a_date_corrects_nothing_when_no_date_was_given():
    assert details.mentioned_expiry("the year is 2031", None) is None
    assert details.mentioned_expiry("le mois est 04", None) is None


@pytest.mark.parametrize(
    "text",
    [
        "€151.20",
        "151,20 €",
        "pay 40.00 EUR",
        "•••• 4444",
        "Mastercard •••• 4444",
        "4242 4242 4242 4242",
        "12 27",  # a bare pair is left to the question that asks for a date
        "13/27",
        "Exchange Online (Plan 1)",
        "I have 2 cards",
        "the month is 13",
        "I am 30 years old",
        "in 2 months",
    ],
)
def test_no_date_is_read_in_amounts_masked_numbers_or_other_numbers(text):
    assert details.mentioned_expiry(text, "03/2030") is None
    assert details.mentioned_expiry(text, None) is None


# --- Holder mentions -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name Bob Durand", "Bob Durand"),
        ("Name Bob", "Bob"),
        ("my name is Bob Durand", "Bob Durand"),
        ("name on the card is Bob Durand", "Bob Durand"),
        ("holder is Zoë O'Brien-Lefèvre", "Zoë O'Brien-Lefèvre"),
        ("titulaire : Marie Dupont", "Marie Dupont"),
        ("Titulaire: Marie Dupont", "Marie Dupont"),
        ("nom du titulaire : Jean-Luc Picard", "Jean-Luc Picard"),
        ("nom : Marie Dupont, exp 12/28", "Marie Dupont"),
        ("card •••• 4242 exp 12/28 cvc ••• name Bob Durand", "Bob Durand"),
        pytest.param(
            "name Bob Durand exp 12/28",
            "Bob Durand"
        ),
        pytest.param(
            "c'est au nom de Marie Dupont",
            "Marie Dupont"
        ),
    ],
)
def test_a_holder_named_in_a_message(text, expected):
    assert details.mentioned_holder(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "€151.20",
        "•••• 4444",
        "Bob Durand",  # a bare name answers the holder question only (the form's from_text)
        "name",
        "name: 4242",
        "rename my card",
        "exp 08/31",
        pytest.param(
            "what's the name on my other card?"
        ),
    ],
)
def test_no_holder_in_amounts_masked_numbers_or_questions(text):
    assert details.mentioned_holder(text) is None


# --- Validating an answer ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "said"),
    [
        (f"12/{yy(1)}", f"12/{year(1)}", []),
        (f"12/{year(1)}", f"12/{year(1)}", []),
        (f"12-{year(1)}", f"12/{year(1)}", []),
        (f"décembre {year(1)}", f"12/{year(1)}", []),
        (f"dec {yy(1)}", f"12/{year(1)}", []),
        (f"exp 1/{yy(3)}", f"01/{year(3)}", []),
        (mm_yyyy(THIS_MONTH), mm_yyyy(THIS_MONTH), []),  # this month: still valid
        (mm_yyyy(LAST_MONTH), None, ["utter_expiry_in_past"]),
        ("13/27", None, ["utter_invalid_month"]),
        ("fin 2027", None, ["utter_expiry_ambiguous"]),
        ("next year", None, ["utter_invalid_expiry_format"]),
    ],
)
@pytest.mark.date_sensitive
def test_an_expiry_answer(text, value, said):
    dispatcher = CollectingDispatcher()
    result = details.validate_expiry(
        "new_expiry", text, dispatcher, tracker(None, text=text, intent="inform")
    )
    assert result["new_expiry"] == value
    assert result["invalid_answers"] == (0 if value else 1)
    assert responses(dispatcher.messages) == said


@pytest.mark.date_sensitive
def test_the_past_is_the_injected_clocks(monkeypatch):
    monkeypatch.setattr("actions.clock.today", lambda: date(2027, 1, 15))
    dispatcher = CollectingDispatcher()
    result = details.validate_expiry("card_expiry", "12/2026", dispatcher, tracker(None))
    assert result["card_expiry"] is None and responses(dispatcher.messages) == ["utter_expiry_in_past"]


def test_a_refusal_is_quiet_when_the_message_answered_something_else():
    dispatcher = CollectingDispatcher()
    assert details.validate_expiry("new_expiry", "use my Visa", dispatcher, tracker(None), quiet=True) == {
        "new_expiry": None
    }
    assert dispatcher.messages == []


def test_two_invalid_answers_in_a_row_explain_the_way_out():
    dispatcher = CollectingDispatcher()
    result = details.validate_expiry("new_expiry", "13/27", dispatcher, tracker(None, {"invalid_answers": 1}))
    assert responses(dispatcher.messages) == ["utter_invalid_month", "utter_form_help"]
    assert result == {"new_expiry": None, "invalid_answers": 0}


@pytest.mark.parametrize(
    ("vault", "accepted"),
    [({"security_code_token": "cvc_tok_abc"}, True), ({"error": "invalid_cvc"}, False), ({}, False)],
)
def test_a_security_code_is_only_accepted_as_a_vault_token(vault, accepted):
    dispatcher = CollectingDispatcher()
    trk = tracker(None, text="•••", intent="inform", metadata={"vault": vault})
    result = details.validate_security_code(dispatcher, trk)
    assert result["security_code_token"] == ("cvc_tok_abc" if accepted else None)
    assert responses(dispatcher.messages) == ([] if accepted else ["utter_invalid_cvc"])


def test_the_typed_text_is_not_the_security_code():
    dispatcher = CollectingDispatcher()
    result = details.validate_security_code(dispatcher, tracker(None, text="123", intent="inform"))
    assert result["security_code_token"] is None


def test_a_button_tap_has_no_text_to_read():
    assert details.latest_text(tracker(None, text='/use_other_card{"last_four": "4444"}')) == ""
    assert details.latest_text(tracker(None, text="exp 08/31")) == "exp 08/31"
    assert details.split_expiry("08/2031") == (8, 2031)


# --- Last four digits ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pay Exchange with my Mastercard 5100", "5100"),
        ("réglez avec ma Visa 1881", "1881"),
        ("visa •••• 1881", "1881"),
        ("the card ending in 4444", "4444"),
        ("la carte se terminant par 4444", "4444"),
        ("my card 12/27", None),  # a date
        ("mastercard 2031/12", None),
        ("my visa exp 2031", None),  # not right after the brand
        ("Visa 4242 4242 4242 4242", None),  # part of a longer number
        ("I have 4444 licences", None),
    ],
)
def test_the_last_four_digits_written_after_the_brand(text, expected):
    assert details.mentioned_last_four(text) == expected
