"""Card numbers and security codes are masked before Rasa sees a message."""

from __future__ import annotations

import pytest

from channels.redaction import find_card_data
from channels.rest import triage


@pytest.mark.parametrize(
    ("text", "masked", "numbers"),
    [
        ("4242424242424242", "•••• 4242", ["4242424242424242"]),
        ("my card is 4242 4242 4242 4242 thanks", "my card is •••• 4242 thanks", ["4242424242424242"]),
        ("5555-5555-5555-4444", "•••• 4444", ["5555555555554444"]),
        ("ma carte 4000 0000 0000 0002", "ma carte •••• 0002", ["4000000000000002"]),
    ],
)
def test_a_valid_card_number_is_masked_and_kept_for_the_vault(text, masked, numbers):
    found = find_card_data(text)
    assert found.text == masked
    assert found.card_numbers == numbers
    assert not found.invalid_card_number


def test_a_mistyped_card_number_is_masked_too_and_flagged():
    found = find_card_data("4242 4242 4242 4241")
    assert found.text == "•••• 4241"
    assert found.card_numbers == [] and found.invalid_card_number


@pytest.mark.parametrize("text", ["12/27", "4444", "ending 1881", "151.20", "call me at 0612345678"])
def test_ordinary_numbers_are_left_alone(text):
    assert find_card_data(text).text == text


@pytest.mark.parametrize(
    ("text", "expecting", "masked", "code", "invalid"),
    [
        ("123", True, "•••", "123", False),
        ("le code est 4567", True, "le code est •••", "4567", False),
        ("12", True, "•••", None, True),
        ("12345", True, "•••", None, True),
        ("123", False, "123", None, False),
        ("cvc 321", False, "cvc •••", "321", False),
        ("code de sécurité: 999", False, "code de sécurité: •••", "999", False),
    ],
)
def test_security_codes(text, expecting, masked, code, invalid):
    found = find_card_data(text, expecting_security_code=expecting)
    assert (found.text, found.security_code, found.invalid_security_code) == (masked, code, invalid)


def test_number_and_code_in_one_message():
    found = find_card_data("4242424242424242 exp 12/27 cvv 123")
    assert found.text == "•••• 4242 exp 12/27 cvv •••"
    assert found.card_numbers == ["4242424242424242"] and found.security_code == "123"


@pytest.mark.parametrize(("text", "sent"), [
    ("", "/empty_message"),
    ("   \n", "/empty_message"),
    ("a" * 1001, "/message_too_long"),
    ("4242 4242 4242 4242 " * 60, "/message_too_long"),
    ("hello", "hello"),
])
def test_messages_nlu_cannot_read_become_explicit_intents(text, sent):
    assert triage(text) == sent


@pytest.mark.parametrize(("text", "sent"), [
    ("a" * 1001, "a" * 1001),
    ("b" * 4000, "b" * 4000),
    ("c" * 4001, "/message_too_long"),
    ("", "/empty_message"),
])
def test_a_long_message_reaches_the_agent_during_a_handoff(text, sent):
    assert triage(text, paused=True) == sent
