"""Finds card numbers and security codes in a chat message and masks them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MASK = "•••"
_PAN = re.compile(r"(?<![\d•])(?:\d[ -]?){12,18}\d(?!\d)")
_NAMED_CVC = re.compile(
    r"(?i)\b(cvc2?|cvv2?|cvn|csc|security code|code de s[ée]curit[ée]|cryptogramme)\b(\D{0,12}?)(\d{3,4})\b"
)
_DIGITS_ONLY = re.compile(r"^\D{0,24}?(\d{1,6})\D{0,24}$")


@dataclass
class Found:
    """What a message held: its masked text, and the card data to vault (never logged)."""

    text: str
    card_numbers: list[str] = field(default_factory=list)
    invalid_card_number: bool = False
    security_code: str | None = None
    invalid_security_code: bool = False


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = int(char)
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def find_card_data(text: str, expecting_security_code: bool = False) -> Found:
    """Mask every 13-19 digit run (valid or not: a mistyped number is still sensitive) and CVCs."""
    found = Found(text=text)

    def mask_pan(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        if not 13 <= len(digits) <= 19:
            return match.group(0)
        if luhn_valid(digits):
            found.card_numbers.append(digits)
        else:
            found.invalid_card_number = True
        return f"•••• {digits[-4:]}"

    masked = _PAN.sub(mask_pan, text)

    def mask_cvc(match: re.Match[str]) -> str:
        found.security_code = match.group(3)
        return f"{match.group(1)}{match.group(2)}{MASK}"

    masked = _NAMED_CVC.sub(mask_cvc, masked)
    if expecting_security_code and found.security_code is None:
        only = _DIGITS_ONLY.match(masked)
        if only and "•" not in masked:
            digits = only.group(1)
            if len(digits) in (3, 4):
                found.security_code = digits
            else:
                found.invalid_security_code = True
            masked = masked.replace(digits, MASK, 1)
    found.text = masked
    return found
