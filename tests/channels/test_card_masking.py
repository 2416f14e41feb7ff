"""Card numbers and security codes are masked before Rasa sees a message (security.cards), however they
are written; ordinary numbers are not. Only Stripe's public test card numbers appear here."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from channels.rest import triage
from security.cards import MASK, find_card_data, luhn_valid, partial_card_digits

VISA = "4242424242424242"
VISA_DEBIT = "4000056655665556"
MASTERCARD = "5555555555554444"
AMEX = "378282246310005"
DISCOVER = "6011111111111117"
DECLINED = "4000000000000002"
DINERS_14 = "36227206271667"
UNIONPAY_19 = "6205500000000000004"
TYPO = "4242424242424241"  # VISA with its last digit mistyped: fails the Luhn check


def spaced(number: str, sep: str = " ") -> str:
    return sep.join(number[i : i + 4] for i in range(0, len(number), 4))


def script(number: str, zero: str) -> str:
    """`number` in the digits of another script (`zero`: that script's digit zero)."""
    return "".join(chr(ord(zero) + int(d)) for d in number)


def digits_of(text: str) -> str:
    """Every digit the text still shows, of any script, as ASCII (invisible characters ignored)."""
    return "".join(str(unicodedata.decimal(c)) for c in text if c.isdecimal())


# (message, the card numbers it holds). Each one's digits must be gone, but for the last four.
WRITTEN = [
    # plain, grouped by 4 with every kind of separator
    (VISA, [VISA]),
    ("my card is 4242 4242 4242 4242 thanks", [VISA]),
    ("ma carte est le 4242 4242 4242 4242", [VISA]),
    ("my card is 4242.4242.4242.4242", [VISA]),
    ("(4242) 4242 4242 4242", [VISA]),
    ("[4242] [4242] [4242] [4242]", [VISA]),
    ("5555-5555-5555-4444", [MASTERCARD]),
    ("ma carte 4000 0000 0000 0002", [DECLINED]),
    ("voici mon numéro : 4000/0566/5566/5556", [VISA_DEBIT]),
    ("card number 6011_1111_1111_1117", [DISCOVER]),
    ("4242 - 4242 - 4242 - 4242", [VISA]),
    ("numéro 4242–4242–4242–4242", [VISA]),  # en dash
    ("4242—4242—4242—4242", [VISA]),  # em dash
    ("4242−4242−4242−4242", [VISA]),  # minus sign
    ("4242‑4242‑4242‑4242", [VISA]),  # non-breaking hyphen
    ("4242－4242．4242／4242", [VISA]),  # fullwidth hyphen, full stop, solidus
    ("4242,4242,4242,4242", [VISA]),
    ("c'est 4242, 4242, 4242, 4242", [VISA]),
    ("4242  4242  4242  4242", [VISA]),  # double spaces
    ("4242\t4242\t4242\t4242", [VISA]),
    ("my card:\n4242\n4242\n4242\n4242", [VISA]),
    ("4242\r\n4242\r\n4242\r\n4242", [VISA]),
    (spaced(VISA, "\u00a0"), [VISA]),  # no-break space
    ("4242\u202f4242\u20094242\u30004242", [VISA]),  # narrow no-break, thin, ideographic space
    ("4242 4242-4242.4242", [VISA]),  # a mixture
    ("4242_4242 4242/4242", [VISA]),
    ("4242 4242.4242 4242", [VISA]),
    ("3782.822463 10005", [AMEX]),
    ("4242 / 4242 / 4242 / 4242", [VISA]),
    ("42 42 42 42 42 42 42 42", [VISA]),
    ("4 2 4 2 4 2 4 2 4 2 4 2 4 2 4 2", [VISA]),
    ("le numéro est 4242 4242 4242 4242.", [VISA]),
    ('"4242424242424242"', [VISA]),
    # digits of other scripts
    (script(VISA, "０"), [VISA]),  # fullwidth
    (spaced(script(VISA, "０"), "\u3000"), [VISA]),
    (script(VISA, "٠"), [VISA]),  # Arabic-Indic
    (spaced(script(VISA, "۰")), [VISA]),  # Extended Arabic-Indic (Persian)
    (script(VISA, "०"), [VISA]),  # Devanagari
    (script(VISA, "𝟎"), [VISA]),  # mathematical bold
    ("ma carte : ٤٢٤٢ ４２４２ 4242 ४२४२", [VISA]),  # scripts mixed
    # invisible format characters (category Cf) between the digits
    ("\u200b".join(VISA), [VISA]),  # zero-width space after every digit
    ("4242\u200d4242\u200c4242\u200d4242", [VISA]),  # zero-width joiner, non-joiner
    ("\ufeff4242 4242 4242 4242\ufeff", [VISA]),  # byte order mark
    ("\u202e4242 4242 4242 4242\u202c", [VISA]),  # right-to-left override
    ("\u20664242\u2068 4242\u2069 4242 4242\u2069", [VISA]),  # bidi isolates
    ("\u200e4242\u200f4242\u200e4242\u200f4242", [VISA]),  # LRM, RLM
    ("4242\u00ad4242\u00ad4242\u00ad4242", [VISA]),  # soft hyphen
    ("4242 \u2060 4242 \u200b- 4242 4242", [VISA]),  # between separators
    # other lengths and groupings
    ("3782 - 822463 - 10005", [AMEX]),
    ("3782 822463 10005", [AMEX]),
    ("carte amex 3782-822463-10005", [AMEX]),
    ("amex: 378282246310005", [AMEX]),
    ("3622 720627 1667", [DINERS_14]),
    ("6205 5000 0000 0000 004", [UNIONPAY_19]),
    # glued to words
    ("card:4242424242424242", [VISA]),
    ("n°4242424242424242", [VISA]),
    ("N°: 5555 5555 5555 4444.", [MASTERCARD]),
    ("carte4242424242424242merci", [VISA]),
    ("my card is #4242-4242-4242-4242!", [VISA]),
    # written twice, two cards
    ("4242 4242 4242 4242 — I repeat, 4242 4242 4242 4242", [VISA, VISA]),
    ("4242424242424242 4242424242424242", [VISA, VISA]),
    ("4242 4242 4242 4242 4242", [VISA]),  # a group typed twice
    ("je répète : 4000 0566 5566 5556, oui 4000 0566 5566 5556", [VISA_DEBIT, VISA_DEBIT]),
    ("4242 4242 4242 4242 / 5555 5555 5555 4444", [VISA, MASTERCARD]),
    ("use 5555555555554444 or else 4242424242424242", [MASTERCARD, VISA]),
    # with the rest of the card's details
    ("4242 4242 4242 4242 12/27 123", [VISA]),
    ("Mon numéro de carte bancaire est 4000 0000 0000 0002, expiration 12/27", [DECLINED]),
    ("card 4242-4242-4242-4242 exp 12/2027", [VISA]),
    # mistyped: masked all the same
    ("4242 4242 4242 4241", [TYPO]),
    ("ma carte 4242.4242.4242.4241 je crois", [TYPO]),
    ("٤٢٤٢ ٤٢٤٢ ٤٢٤٢ ٤٢٤١", [TYPO]),
    ("4242 4242 4242 4241 12/27", [TYPO]),
    ("4242 4242 4242 4241 puis 4242 4242 4242 4242", [TYPO, VISA]),
]


def test_the_battery_is_large():
    assert len(WRITTEN) >= 45


@pytest.mark.parametrize(("text", "numbers"), WRITTEN)
def test_a_card_number_is_masked_however_it_is_written(text, numbers):
    found = find_card_data(text)
    shown = digits_of(found.text)
    for number in numbers:
        assert number[:-4] not in shown, found.text
        assert f"•••• {number[-4:]}" in found.text
    valid = [number for number in numbers if luhn_valid(number)]
    assert found.card_numbers == list(dict.fromkeys(valid))
    assert found.invalid_card_number == (len(valid) < len(numbers))
    assert find_card_data(found.text).text == found.text  # masking again changes nothing


def test_every_invisible_format_character_is_ignored_between_digits():
    format_chars = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]
    assert len(format_chars) > 150
    for char in format_chars:
        found = find_card_data(f"4242{char}4242 {char}4242{char}{char} 4242")
        assert found.card_numbers == [VISA], hex(ord(char))
        assert found.text == "•••• 4242", hex(ord(char))


def test_an_emoji_keeps_its_joiner():
    found = find_card_data("👩\u200d💻 4242 4242 4242 4242")
    assert found.text == "👩\u200d💻 •••• 4242"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("4242424242424242", "•••• 4242"),
        ("my card is 4242 4242 4242 4242 thanks", "my card is •••• 4242 thanks"),
        ("ma carte est le 4242\u00a04242\u00a04242\u00a04242 merci", "ma carte est le •••• 4242 merci"),
        ("4242 4242 4242 4242 12/27 123", "•••• 4242 12/27 •••"),
        ("4242 4242 4242 4242 123", "•••• 4242 •••"),
        ("4242-4242-4242-4242 1227", "•••• 4242 •••"),
        ("4242 4242 4242 4242 0612345678", "•••• 4242 0612345678"),
        ("4242 4242 4242 4242 / 5555 5555 5555 4444", "•••• 4242 / •••• 4444"),
        ("\u202e4242424242424242", "•••• 4242"),
        ("card:4242424242424242", "card:•••• 4242"),
    ],
)
def test_the_mask_shows_the_last_four_digits_in_place(text, masked):
    assert find_card_data(text).text == masked


@pytest.mark.parametrize(
    "text",
    [
        "12/27",
        "4444",
        "ending 1881",
        "151.20",
        "call me at 0612345678",
        "€1,234.56",
        "1 234,56 €",
        "1\u202f234,56 €",
        "$1,234,567.89",
        "1 234 567,89 €",
        "oui, payer 151,20 €",
        "12/2027",
        "12/27",
        "12 / 27",
        "2027-12-02",
        "le 02.12.2027 à 14:30",
        "ma carte expire maintenant en 12/2027",
        "sub_contoso_e3",
        "pay €151.20 on sub_contoso_business_standard",
        "+33 6 12 34 56 78",
        "06 12 34 56 78",
        "+1 (555) 123-4567",
        "+44 20 7946 0958",
        "my number is 0612345678, or 0698765432",
        "0612345678, 0698765432",
        "0612345678\n0698765432",
        "+33 6 12 34 56 78; +33 6 98 76 54 32",
        "06 12 34 56 78 / 06 98 76 54 32",
        "2027-12-02 - 2028-01-05",
        "du 01/12/2027 au 05/01/2028",
        "01/12/2027 - 05/01/2028",
        "151.20, 151.20, 151.20",
        "€151.20 12/2027 2027-12-02",
        "order 123456789012",
        "4242 4242 4242",
        "12/27 123",
        "la carte qui finit par 4444",
        "Visa •••• 4242 (12/2028)",
        "•••• 4242",
        "use the one ending in 4444, exp 12/27",
        '{"confidence": 0.9999997476577759, "timestamp": 1714567890.123456}',
    ],
)
def test_ordinary_numbers_are_left_alone(text):
    found = find_card_data(text)
    assert found.text == text
    assert not found.card_numbers and not found.invalid_card_number


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("4242 4242", "42424242"),
        ("4242 4242 4242", "424242424242"),
        ("4242-4242", "42424242"),
        ("  4242 4242\u200b ", "42424242"),
        ("４２４２ ４２４２", "42424242"),
        ("\u200b4242\u200b4242\u200b", "42424242"),
        ("424242", "424242"),
        ("4 2 4 2 4 2 4 2", "42424242"),
        ("3782 822463", "3782822463"),
        ("12/2027", "122027"),  # a date qualifies too: ask only while a card number is expected
        (VISA, None),  # masked as a card number already
        ("4242 4242 4242 4241", None),  # masked as a mistyped one
        ("4242 4242 4242 4242 4242", None),  # more than 16 digits
        ("12345", None),  # fewer than 6
        ("123", None),
        ("", None),
        ("hello 4242 4242", None),
        ("4242 4242 ok", None),
        ("€1,234.56", None),
    ],
)
def test_partial_card_digits(text, digits):
    assert partial_card_digits(text) == digits


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
        ("cryptogramme ١٢٣", False, "cryptogramme •••", "123", False),
        ("４５６", True, "•••", "456", False),
    ],
)
def test_security_codes(text, expecting, masked, code, invalid):
    found = find_card_data(text, expecting_security_code=expecting)
    assert (found.text, found.security_code, found.invalid_security_code) == (masked, code, invalid)
    assert MASK == "•••"


def test_number_and_code_in_one_message():
    found = find_card_data("4242424242424242 exp 12/27 cvv 123")
    assert found.text == "•••• 4242 exp 12/27 cvv •••"
    assert found.card_numbers == ["4242424242424242"] and found.security_code == "123"


def test_a_code_right_after_the_number_is_masked_but_not_read_as_the_security_code():
    found = find_card_data("4242 4242 4242 4242 12/27 123", expecting_security_code=True)
    assert found.text == "•••• 4242 12/27 •••"
    assert found.card_numbers == [VISA] and found.security_code is None and not found.invalid_security_code


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("0000 0000 0000 0000", "•••• 0000"),  # passes the Luhn check, but no card number starts with 0
        (MASTERCARD + "18", "•••• 4418"),  # passes the Luhn check, but a Mastercard has 16 digits
        ("4242424242424242424242424", "•••• 2424"),  # too long for a card number: sensitive all the same
    ],
)
def test_a_number_no_brand_issues_is_masked_but_not_vaulted(text, masked):
    found = find_card_data(text)
    assert (found.text, found.card_numbers, found.invalid_card_number) == (masked, [], True)


def test_the_last_four_after_a_named_code_are_not_taken_for_the_code():
    found = find_card_data("cvv: 4242 4242 4242 4242")
    assert found.text == "cvv: •••• 4242"
    assert found.security_code is None and found.card_numbers == [VISA]


@pytest.mark.parametrize(("text", "sent"), [
    ("", "/empty_message"),
    ("   \n", "/empty_message"),
    ("a" * 1001, "/message_too_long"),
    ("4242 4242 4242 4242 " * 60, "/message_too_long"),
    ("hello", "hello"),
    ("?!", "/empty_message"),
    ("🙂🙂", "/empty_message"),
    ("🤷\u200d♀️", "/empty_message"),
    ("R2D2", "R2D2"),
    ("42", "42"),
    ("•••• 4242", "•••• 4242"),
    ("••••", "••••"),
    ("é", "é"),
])
def test_messages_nlu_cannot_read_become_explicit_intents(text, sent):
    assert triage(text) == sent


@pytest.mark.parametrize(("text", "sent"), [
    ("a" * 1001, "a" * 1001),
    ("b" * 4000, "b" * 4000),
    ("c" * 4001, "/message_too_long"),
    ("", "/empty_message"),
    ("👍", "👍"),
    ("?", "?"),
])
def test_a_long_message_or_an_emoji_reaches_the_agent_during_a_handoff(text, sent):
    assert triage(text, paused=True) == sent
