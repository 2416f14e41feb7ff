"""Reads a card expiry the ways people type it: 12/27, 12/2027, 12-2027, décembre 2027, dec 27."""

from __future__ import annotations

import re
from dataclasses import dataclass

from reading.words import plain

MONTHS = {
    "jan": 1,
    "janv": 1,
    "janvier": 1,
    "january": 1,
    "feb": 2,
    "fev": 2,
    "fevr": 2,
    "fevrier": 2,
    "february": 2,
    "mar": 3,
    "mars": 3,
    "march": 3,
    "apr": 4,
    "avr": 4,
    "avril": 4,
    "april": 4,
    "may": 5,
    "mai": 5,
    "jun": 6,
    "juin": 6,
    "june": 6,
    "jul": 7,
    "juil": 7,
    "juillet": 7,
    "july": 7,
    "aug": 8,
    "aou": 8,
    "aout": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "septembre": 9,
    "september": 9,
    "oct": 10,
    "octobre": 10,
    "october": 10,
    "nov": 11,
    "novembre": 11,
    "november": 11,
    "dec": 12,
    "decembre": 12,
    "december": 12,
}
VAGUE = re.compile(r"\b(fin|debut|mi|end|start|beginning|mid|early|late)\b\s*(?:of\s*|d[e']\s*)?(\d{2,4})\b")
NUMERIC = re.compile(r"\b(\d{1,2})\s*[/\-. ]\s*(\d{4}|\d{2})\b")
NAMED = re.compile(r"\b([a-z]{3,9})\.?\s+(\d{4}|\d{2})\b")


@dataclass(frozen=True)
class Expiry:
    month: int
    year: int


class ExpiryError(ValueError):
    """Why a text is not a usable expiry: code is unreadable, ambiguous or bad_month."""

    def __init__(self, code: str, **details: object):
        super().__init__(code)
        self.code = code
        self.details = details


def _year(raw: str) -> int:
    return 2000 + int(raw) if len(raw) == 2 else int(raw)


def parse_expiry(text: str) -> Expiry:
    """The month and four-digit year in `text`, or `ExpiryError`."""
    plain_text = plain(text)
    vague = VAGUE.search(plain_text)
    if vague:
        raise ExpiryError("ambiguous", year=_year(vague.group(2)))
    numeric = NUMERIC.search(plain_text)
    if numeric:
        month = int(numeric.group(1))
        if not 1 <= month <= 12:
            raise ExpiryError("bad_month", month=numeric.group(1))
        return Expiry(month, _year(numeric.group(2)))
    for match in NAMED.finditer(plain_text):
        named_month = MONTHS.get(match.group(1))
        if named_month:
            return Expiry(named_month, _year(match.group(2)))
    raise ExpiryError("unreadable")
