"""Card checks and tokenization. The number and security code never leave this module."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import date

from billing.errors import Invalid

# Outcomes of the public test card numbers (docs/design.md); any other valid number succeeds.
TEST_CARD_PROFILES = {
    "4000000000000002": "card_declined",
    "4000000000009995": "insufficient_funds",
    "4000000000000069": "expired_card",
    "4000000000000127": "incorrect_cvc",
    "4000000000000119": "processing_error",
}

_SEPARATORS = re.compile(r"[\s-]")


@dataclass(frozen=True)
class VaultedCard:
    """What is kept of a card: a token, a keyed fingerprint and what may be shown."""

    token: str
    fingerprint: str
    brand: str
    last4: str
    processor_profile: str


def normalize_pan(raw: str) -> str:
    """Digits of a card number typed with spaces or dashes; refuses anything else."""
    pan = _SEPARATORS.sub("", raw)
    if not pan.isdigit() or not pan.isascii():
        raise Invalid("invalid_card_number", "A card number has only digits (spaces and dashes are fine).")
    if not 12 <= len(pan) <= 19:
        raise Invalid("invalid_card_number", "A card number has 12 to 19 digits.")
    if not luhn_valid(pan):
        raise Invalid("invalid_card_number", "This card number is not valid: check the digits.")
    return pan


def luhn_valid(pan: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(pan)):
        digit = int(char)
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def brand_of(pan: str) -> str:
    if pan.startswith("4"):
        return "visa"
    prefix2, prefix4 = int(pan[:2]), int(pan[:4])
    if 51 <= prefix2 <= 55 or 2221 <= prefix4 <= 2720:
        return "mastercard"
    if prefix2 in (34, 37):
        return "amex"
    if pan.startswith(("6011", "65")) or 644 <= int(pan[:3]) <= 649:
        return "discover"
    return "unknown"


def check_expiry(month: int, year: int, today: date) -> tuple[int, int]:
    """(month, four-digit year) of a card expiry that is valid today, else `Invalid`."""
    if not 1 <= month <= 12:
        raise Invalid("invalid_expiry_month", "The expiry month must be between 1 and 12.")
    if 0 <= year < 100:
        year += 2000
    if (year, month) < (today.year, today.month):
        raise Invalid("expiry_in_past", "This expiry date is in the past.")
    if year > today.year + 20:
        raise Invalid("invalid_expiry_year", "The expiry year is too far in the future.")
    return month, year


def check_cvc(cvc: str, brand: str) -> None:
    """Security codes have 3 digits, 4 for American Express. They are checked, never kept."""
    expected = 4 if brand == "amex" else 3
    if not (cvc.isascii() and cvc.isdigit() and len(cvc) == expected):
        raise Invalid("invalid_cvc", f"The security code has {expected} digits.")


def tokenize(pan: str, fingerprint_secret: str) -> VaultedCard:
    """Vault a normalised card number: only the token and shown fields come out."""
    key = hashlib.sha256(b"card-fingerprint:" + fingerprint_secret.encode()).digest()
    fingerprint = hmac.new(key, pan.encode(), hashlib.sha256).hexdigest()
    return VaultedCard(
        token="tok_" + secrets.token_urlsafe(18),
        fingerprint=fingerprint,
        brand=brand_of(pan),
        last4=pan[-4:],
        processor_profile=TEST_CARD_PROFILES.get(pan, "success"),
    )
