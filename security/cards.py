"""Card numbers and security codes in free text: masked, and handed apart for the vault.

The one masking rule of every process (the channels, the web service, the log filter). Pure: no I/O,
standard library only, Python 3.10+.
The reading itself: security/card_text.py (digits of any script, separators, format characters),
security/card_groups.py (gaps, dates, amounts) and security/card_numbers.py (Luhn, brand lengths, phone
numbers, security codes).

How a card number is found
- Digits of any script count (`\\d` is Unicode: fullwidth, Arabic-Indic, Devanagari...) and are read as
  ASCII digits.
- Invisible format characters (Unicode category Cf: zero-width space, joiner and non-joiner, U+FEFF, the
  bidi controls) touching a digit or sitting between separators are dropped first: they neither split a
  number nor survive next to a mask (a U+202E before `•••• 4242` would show it reversed). Elsewhere (an
  emoji's zero-width joiner) they stay.
- Digit groups join into one run across at most 3 separator characters (spaces of any kind, tabs,
  newlines, `.` `,` `/` `_` and dashes, mixed or not), or across one punctuation mark with up to two
  spaces each side (`3782  -  822463`). Numbers farther apart are unrelated. Letters do not end a run
  (`card:4242…`, `n°4242…`).
- A run holding 13 digits or more is read group by group:
  1. dates (`12/2027`, `12/27`, `12 / 27`, `2027-12-02`, `02.12.2027`), amounts (`1 234,56`,
     `1,234.56`) and decimal numbers (`0.9999997476577759`, `1714567890.123456`: a full stop, an
     integer part other than 4 digits, 6 decimals or more) set apart by spaces or by another separator
     stay as they are;
  2. numbers set apart by list marks (`, ` `; ` ` / ` a newline) that are each a phone number
     (9 to 12 digits) stay as they are;
  3. stretches of 13 to 19 digits that pass the Luhn check and have a length their brand issues (no
     leading 0, American Express 15, Mastercard 16) are card numbers: masked and returned for the
     vault, as many as the run holds (a number written twice, two cards), the usual lengths first
     (`4242 4242 4242 4242 123` is a 16-digit number and its code even if all 19 digits pass);
  4. whatever remains and still holds 13 digits or more is masked too: a mistyped number is sensitive;
  5. a lone group of 3 or 4 digits right after a card number (an expiry date between them or not) is
     its security code or expiry: masked as `•••`, though not read as a security code.
- A card number's mask reads `•••• 4242`: its last four digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from security.card_numbers import CARD, CODE, LONGEST, MISTYPED, SHORTEST, Run, luhn_valid
from security.card_text import PUNCTUATION, ascii_digits, strip_format_chars, without_format_chars

__all__ = [
    "BULLETS",
    "CARD",
    "CODE",
    "LONGEST",
    "MASK",
    "MISTYPED",
    "SHORTEST",
    "Found",
    "card_number_spans",
    "find_card_data",
    "luhn_valid",
    "partial_card_digits",
]

MASK = "•••"
BULLETS = "••••"

_P = "[" + re.escape(PUNCTUATION) + "]"
_SEP = r"[\s" + re.escape(PUNCTUATION) + "]"
_GAP = rf"(?:{_SEP}{{1,3}}|\s{{1,2}}{_P}\s{{1,2}})"
# A mask already written (`•••• 4242`) is skipped, so masking is idempotent.
_RUN = re.compile(rf"{BULLETS} ?\d{{4}}(?!\d)|\d+(?:{_GAP}\d+)*")
_GROUP = re.compile(r"\d+")
_ANY_DIGIT = re.compile(r"\d")
_ONLY_GROUPS = re.compile(rf"\d+(?:{_SEP}+\d+)*")
_NAMED_CVC = re.compile(
    r"(?i)\b(cvc2?|cvv2?|cvn|csc|security code|code de s[ée]curit[ée]|cryptogramme)\b"
    r"([^\d•]{0,12}?)(\d{3,4})\b"
)
# "the year is 2031" while the code is asked: a correction of the date, not a code.
_ABOUT_A_DATE = re.compile(r"(?i)\b(year|month|ann[ée]e|mois|expir\w*|exp|date)\b")
_DIGITS_ONLY = re.compile(r"^\D{0,24}?(\d{1,6})\D{0,24}$")


@dataclass
class Found:
    """What a message held: its masked text, and the card data to vault (never logged)."""

    text: str
    card_numbers: list[str] = field(default_factory=list)
    invalid_card_number: bool = False
    security_code: str | None = None
    invalid_security_code: bool = False


def find_card_data(text: str, expecting_security_code: bool = False) -> Found:
    """Mask every card number (valid or not: a mistyped number is still sensitive) and security code.

    Valid numbers are returned in `card_numbers` (ASCII digits, each once, in the order last written);
    a masked number that fails the Luhn check (or has a length its brand never issues) sets
    `invalid_card_number`. The text comes back unchanged, character for character, when nothing was
    masked."""
    found = Found(text=text)
    if not _ANY_DIGIT.search(text):
        return found
    work, _kept = without_format_chars(text)
    masks = _card_masks(work)
    masked = work
    if masks:
        pieces: list[str] = []
        last = 0
        numbers: list[str] = []
        for start, end, digits, kind in masks:
            pieces += [work[last:start], _mask(digits, kind)]
            last = end
            if kind == CARD:
                numbers.append(digits)
            elif kind == MISTYPED:
                found.invalid_card_number = True
        pieces.append(work[last:])
        masked = "".join(pieces)
        found.card_numbers = list(dict.fromkeys(reversed(numbers)))[::-1]

    def mask_cvc(match: re.Match[str]) -> str:
        found.security_code = ascii_digits(match.group(3))
        return f"{match.group(1)}{match.group(2)}{MASK}"

    masked = _NAMED_CVC.sub(mask_cvc, masked)
    if expecting_security_code and found.security_code is None:
        only = _DIGITS_ONLY.match(masked)
        if only and "•" not in masked and not _ABOUT_A_DATE.search(masked):
            digits = only.group(1)
            if len(digits) in (3, 4):
                found.security_code = ascii_digits(digits)
            else:
                found.invalid_security_code = True
            masked = masked.replace(digits, MASK, 1)
    if masks or found.security_code is not None or found.invalid_security_code:
        found.text = masked
    return found


def card_number_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, mask) of every card number in `text`, in `text`'s own positions: for a caller that
    keeps the rest of its text as it is (the log filter, on JSON-escaped text)."""
    if not _ANY_DIGIT.search(text):
        return []
    work, kept = without_format_chars(text)
    spans = []
    for start, end, digits, kind in _card_masks(work):
        if kept is not None:
            start, end = kept[start], kept[end - 1] + 1
        spans.append((start, end, _mask(digits, kind)))
    return spans


def partial_card_digits(text: str, fewest: int = 6) -> str | None:
    """The digits (ASCII) of a message that is nothing but digit groups and separators holding 6 to 16
    digits, unless they were masked as a card number: the first part of a number split over two
    messages. Dates qualify too (`12/2027` gives `122027`): ask only while a card number is expected."""
    bare = strip_format_chars(text).strip()
    if not _ONLY_GROUPS.fullmatch(bare):
        return None
    digits = ascii_digits("".join(_GROUP.findall(bare)))
    if not fewest <= len(digits) <= 16:
        return None
    found = find_card_data(text)
    if found.card_numbers or found.invalid_card_number:
        return None
    return digits


def _mask(digits: str, kind: str) -> str:
    return MASK if kind == CODE else f"{BULLETS} {digits[-4:]}"


def _card_masks(work: str) -> list[tuple[int, int, str, str]]:
    """(start, end, ASCII digits, kind) of each stretch to mask, in order."""
    masks: list[tuple[int, int, str, str]] = []
    for run in _RUN.finditer(work):
        if run.end() - run.start() < SHORTEST or work[run.start()] == "•":
            continue
        groups = list(_GROUP.finditer(work, run.start(), run.end()))
        digits = [ascii_digits(group.group()) for group in groups]
        if sum(map(len, digits)) < SHORTEST:
            continue
        masks += Run(work, groups, digits).masks()
    return masks
