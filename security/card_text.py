"""Text as the card rule (security/cards.py) reads it: digits of any script, separators, format characters.

Any decimal digit (fullwidth, Arabic-Indic, Devanagari...) reads as its ASCII digit (`ascii_digits`).
`PUNCTUATION` is what may stand between digit groups besides spaces. The invisible format characters
(Unicode category Cf) that touch a digit or sit between separators are dropped before a text is read
(`without_format_chars`, which also gives each kept character's position in the original text).
Pure: standard library only."""

from __future__ import annotations

import re
import unicodedata

# Punctuation between digit groups: ASCII, and the look-alikes a phone keyboard or a paste brings.
PUNCTUATION = (
    "./,_-"
    "()[]"  # an area-code style group: (4242) 4242 4242 4242
    "\u00b7"  # middle dot
    "\u2010\u2011\u2012\u2013\u2014\u2015"  # hyphen, non-breaking hyphen, figure dash, en/em dash, bar
    "\u2044\u2212\u2215"  # fraction slash, minus sign, division slash
    "\u3001\u3002\u30fb"  # ideographic comma and full stop, katakana middle dot
    "\ufe58\ufe63"  # small em dash, small hyphen-minus
    "\uff0c\uff0d\uff0e\uff0f\uff3f"  # fullwidth comma, hyphen-minus, full stop, solidus, low line
)
# Where Unicode puts its format characters (category Cf), with room for later versions: the soft hyphen,
# the Arabic and Syriac blocks, the Mongolian vowel separator, general punctuation, the BOM, the
# interlinear annotations, everything beyond the BMP. Each candidate's category is then checked.
_MAY_BE_FORMAT = re.compile(
    "[\u00ad\u0600-\u08ff\u180e\u2000-\u206f\ufeff\ufff0-\ufffb\U00010000-\U0010ffff]"
)


class _AsciiDigits(dict[int, int]):
    """str.translate table from any decimal digit to its ASCII digit, filled on first sight."""

    def __missing__(self, code: int) -> int:
        value = unicodedata.decimal(chr(code), None)
        self[code] = code if value is None else ord("0") + value
        return self[code]


_TO_ASCII = _AsciiDigits()


def ascii_digits(digits: str) -> str:
    return digits if digits.isascii() else digits.translate(_TO_ASCII)


def _is_separator(char: str) -> bool:
    return bool(char) and (char.isspace() or char in PUNCTUATION)


def _format_positions(text: str) -> list[int]:
    if text.isascii():
        return []
    return [m.start() for m in _MAY_BE_FORMAT.finditer(text) if unicodedata.category(m.group()) == "Cf"]


def strip_format_chars(text: str) -> str:
    positions = set(_format_positions(text))
    if not positions:
        return text
    return "".join(char for index, char in enumerate(text) if index not in positions)


def without_format_chars(text: str) -> tuple[str, list[int] | None]:
    """The text without the Cf characters that touch a digit or sit between separators, and the
    position in `text` of each character kept (None when nothing was dropped)."""
    marks = _format_positions(text)
    if not marks:
        return text, None
    drop: set[int] = set()
    k = 0
    while k < len(marks):
        first = last = marks[k]
        while k + 1 < len(marks) and marks[k + 1] == last + 1:
            k += 1
            last = marks[k]
        left = text[first - 1] if first > 0 else ""
        right = text[last + 1] if last + 1 < len(text) else ""
        if left.isdecimal() or right.isdecimal() or (_is_separator(left) and _is_separator(right)):
            drop.update(range(first, last + 1))
        k += 1
    if not drop:
        return text, None
    kept = [index for index in range(len(text)) if index not in drop]
    return "".join(text[index] for index in kept), kept
