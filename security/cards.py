"""Card numbers and security codes in free text: masked, and handed apart for the vault.

The one masking rule of every process (the channels, the web service, the log filter). Pure: no I/O,
standard library only, Python 3.10+.

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

import functools
import itertools
import re
import unicodedata
from dataclasses import dataclass, field

MASK = "•••"
BULLETS = "••••"

# Punctuation between digit groups: ASCII, and the look-alikes a phone keyboard or a paste brings.
_PUNCTUATION = (
    "./,_-"
    "()[]"  # an area-code style group: (4242) 4242 4242 4242
    "\u00b7"  # middle dot
    "\u2010\u2011\u2012\u2013\u2014\u2015"  # hyphen, non-breaking hyphen, figure dash, en/em dash, bar
    "\u2044\u2212\u2215"  # fraction slash, minus sign, division slash
    "\u3001\u3002\u30fb"  # ideographic comma and full stop, katakana middle dot
    "\ufe58\ufe63"  # small em dash, small hyphen-minus
    "\uff0c\uff0d\uff0e\uff0f\uff3f"  # fullwidth comma, hyphen-minus, full stop, solidus, low line
)
# Each separator as its ASCII counterpart (what the date and amount shapes compare).
_CORE = str.maketrans(
    {
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
        **dict.fromkeys("\u00b7\u3002\u30fb\uff0e", "."),
        **dict.fromkeys("\u2044\u2215\uff0f", "/"),
        **dict.fromkeys("\u3001\uff0c", ","),
        "\uff3f": "_",
    }
)
_P = "[" + re.escape(_PUNCTUATION) + "]"
_SEP = r"[\s" + re.escape(_PUNCTUATION) + "]"
_GAP = rf"(?:{_SEP}{{1,3}}|\s{{1,2}}{_P}\s{{1,2}})"
# A mask already written (`•••• 4242`) is skipped, so masking is idempotent.
_RUN = re.compile(rf"{BULLETS} ?\d{{4}}(?!\d)|\d+(?:{_GAP}\d+)*")
_GROUP = re.compile(r"\d+")
_ANY_DIGIT = re.compile(r"\d")
# Where Unicode puts its format characters (category Cf), with room for later versions: the soft hyphen,
# the Arabic and Syriac blocks, the Mongolian vowel separator, general punctuation, the BOM, the
# interlinear annotations, everything beyond the BMP. Each candidate's category is then checked.
_MAY_BE_FORMAT = re.compile(
    "[\u00ad\u0600-\u08ff\u180e\u2000-\u206f\ufeff\ufff0-\ufffb\U00010000-\U0010ffff]"
)
_SPACES = re.compile(r"\s+")
_NEWLINE = re.compile(r"[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
_ONLY_GROUPS = re.compile(rf"\d+(?:{_SEP}+\d+)*")
# Between two thousands: one space (any width), a comma, a full stop.
_THOUSANDS = frozenset(" \u00a0\u2009\u202f,.")
_DATE_MARKS = ("/", "-", ".")
_PIECE_MARKS = ("/", "-", ".", ",")
_DOUBLED = str.maketrans("0123456789", "0246813579")  # a digit doubled, its digits summed (Luhn)
_VALUES = bytes.maketrans(b"0123456789", bytes(range(10)))
_DOUBLED_VALUES = bytes.maketrans(b"0123456789", bytes((0, 2, 4, 6, 8, 1, 3, 5, 7, 9)))
_NAMED_CVC = re.compile(
    r"(?i)\b(cvc2?|cvv2?|cvn|csc|security code|code de s[ée]curit[ée]|cryptogramme)\b"
    r"([^\d•]{0,12}?)(\d{3,4})\b"
)
# "the year is 2031" while the code is asked: a correction of the date, not a code.
_ABOUT_A_DATE = re.compile(r"(?i)\b(year|month|ann[ée]e|mois|expir\w*|exp|date)\b")
_DIGITS_ONLY = re.compile(r"^\D{0,24}?(\d{1,6})\D{0,24}$")
SHORTEST, LONGEST = 13, 19
CARD, MISTYPED, CODE = "card", "mistyped", "code"  # what a masked stretch of digits was


@dataclass
class Found:
    """What a message held: its masked text, and the card data to vault (never logged)."""

    text: str
    card_numbers: list[str] = field(default_factory=list)
    invalid_card_number: bool = False
    security_code: str | None = None
    invalid_security_code: bool = False


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum of a string of digits (any script)."""
    reverse = _ascii(digits)[::-1]
    return (sum(map(int, reverse[0::2])) + sum(map(int, reverse[1::2].translate(_DOUBLED)))) % 10 == 0


def find_card_data(text: str, expecting_security_code: bool = False) -> Found:
    """Mask every card number (valid or not: a mistyped number is still sensitive) and security code.

    Valid numbers are returned in `card_numbers` (ASCII digits, each once, in the order last written);
    a masked number that fails the Luhn check (or has a length its brand never issues) sets
    `invalid_card_number`. The text comes back unchanged, character for character, when nothing was
    masked."""
    found = Found(text=text)
    if not _ANY_DIGIT.search(text):
        return found
    work, _kept = _without_format_chars(text)
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
        found.security_code = _ascii(match.group(3))
        return f"{match.group(1)}{match.group(2)}{MASK}"

    masked = _NAMED_CVC.sub(mask_cvc, masked)
    if expecting_security_code and found.security_code is None:
        only = _DIGITS_ONLY.match(masked)
        if only and "•" not in masked and not _ABOUT_A_DATE.search(masked):
            digits = only.group(1)
            if len(digits) in (3, 4):
                found.security_code = _ascii(digits)
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
    work, kept = _without_format_chars(text)
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
    bare = _strip_format_chars(text).strip()
    if not _ONLY_GROUPS.fullmatch(bare):
        return None
    digits = _ascii("".join(_GROUP.findall(bare)))
    if not fewest <= len(digits) <= 16:
        return None
    found = find_card_data(text)
    if found.card_numbers or found.invalid_card_number:
        return None
    return digits


# --- reading runs of digit groups ---------------------------------------------------------------------


class _AsciiDigits(dict[int, int]):
    """str.translate table from any decimal digit to its ASCII digit, filled on first sight."""

    def __missing__(self, code: int) -> int:
        value = unicodedata.decimal(chr(code), None)
        self[code] = code if value is None else ord("0") + value
        return self[code]


_TO_ASCII = _AsciiDigits()


def _mask(digits: str, kind: str) -> str:
    return MASK if kind == CODE else f"{BULLETS} {digits[-4:]}"


def _ascii(digits: str) -> str:
    return digits if digits.isascii() else digits.translate(_TO_ASCII)


def _is_separator(char: str) -> bool:
    return bool(char) and (char.isspace() or char in _PUNCTUATION)


def _format_positions(text: str) -> list[int]:
    if text.isascii():
        return []
    return [m.start() for m in _MAY_BE_FORMAT.finditer(text) if unicodedata.category(m.group()) == "Cf"]


def _strip_format_chars(text: str) -> str:
    positions = set(_format_positions(text))
    if not positions:
        return text
    return "".join(char for index, char in enumerate(text) if index not in positions)


def _without_format_chars(text: str) -> tuple[str, list[int] | None]:
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


def _card_masks(work: str) -> list[tuple[int, int, str, str]]:
    """(start, end, ASCII digits, kind) of each stretch to mask, in order."""
    masks: list[tuple[int, int, str, str]] = []
    for run in _RUN.finditer(work):
        if run.end() - run.start() < SHORTEST or work[run.start()] == "•":
            continue
        groups = list(_GROUP.finditer(work, run.start(), run.end()))
        digits = [_ascii(group.group()) for group in groups]
        if sum(map(len, digits)) < SHORTEST:
            continue
        masks += _Run(work, groups, digits).masks()
    return masks


@functools.lru_cache(maxsize=512)
def _gap_kind(gap: str) -> tuple[str, bool, bool]:
    """A gap's punctuation as ASCII (`core`), whether it holds a space, whether it separates list items
    (a comma, a newline, a spaced slash or dash)."""
    core = _SPACES.sub("", gap).translate(_CORE)
    spaced = len(core) < len(gap)
    listing = "," in core or bool(_NEWLINE.search(gap)) or (spaced and core in ("/", "-"))
    return core, spaced, listing


class _Run:
    """Digit groups joined by short gaps: which of them are dates, amounts, phones, card numbers."""

    def __init__(self, work: str, groups: list[re.Match[str]], digits: list[str]) -> None:
        self.starts = [group.start() for group in groups]
        self.ends = [group.end() for group in groups]
        self.digits = digits
        self.lengths = [len(number) for number in digits]
        self.gaps = [work[self.ends[k] : self.starts[k + 1]] for k in range(len(digits) - 1)]
        kinds = [_gap_kind(gap) for gap in self.gaps]
        self.cores = [kind[0] for kind in kinds]
        self.spaced = [kind[1] for kind in kinds]
        self.listing = [kind[2] for kind in kinds]

    def masks(self) -> list[tuple[int, int, str, str]]:
        count = len(self.lengths)
        # Every date and amount shape has a group of at most 2 digits (a day, a month, the cents); a
        # decimal number has a full stop.
        ordinary = self._ordinary() if min(self.lengths) <= 2 or "." in self.gaps else [""] * count
        found: list[tuple[int, int, str]] = []  # (first group, last group, kind)
        k = 0
        while k < count:
            if ordinary[k]:
                k += 1
                continue
            j = k
            while j + 1 < count and not ordinary[j + 1]:
                j += 1
            found += self._cards(k, j)
            k = j + 1
        found += self._codes(found, ordinary)
        return [
            (self.starts[first], self.ends[last], "".join(self.digits[first : last + 1]), kind)
            for first, last, kind in sorted(found)
        ]

    def _codes(self, found: list[tuple[int, int, str]], ordinary: list[str]) -> list[tuple[int, int, str]]:
        """A lone group of 3 or 4 digits right after a card number (an expiry date between them or not)
        is its security code or its expiry: masked too, though read as neither."""
        covered = {group for first, last, _kind in found for group in range(first, last + 1)}
        codes = []
        for _first, last, _kind in found:
            group = last + 1
            while group < len(ordinary) and ordinary[group] == "date":
                group += 1
            if group < len(ordinary) and group not in covered and not ordinary[group]:
                alone = group + 1 == len(ordinary) or ordinary[group + 1] or group + 1 in covered
                if self.lengths[group] in (3, 4) and alone:
                    codes.append((group, group, CODE))
        return codes

    # Dates and amounts ---------------------------------------------------------------------------
    def _ordinary(self) -> list[str]:
        """Each group's part in a date, an amount or a decimal number ("" for none)."""
        count = len(self.digits)
        ordinary = [""] * count
        k = 0
        while k < count - 1:
            # A date or an amount starts with a date mark, a decimal or a thousands mark after it.
            if self.cores[k] in _PIECE_MARKS or (self.lengths[k] <= 3 and self.gaps[k] in _THOUSANDS):
                piece = self._piece(k)
                if piece:
                    size, kind = piece
                    ordinary[k : k + size] = [kind] * size
                    k += size
                    continue
            k += 1
        return ordinary

    def _piece(self, k: int) -> tuple[int, str] | None:
        """(groups, kind) of the date, amount or decimal number that starts at group k, if any."""
        # After a group of 4 (`4242 4242 4242 42,42`), `42,42` is no amount: the end of a number.
        after_four = k > 0 and self.lengths[k - 1] == 4 and not self.listing[k - 1]
        if not after_four:
            size = self._amount(k)
            if size and self._set_apart(k, size):
                return size, "amount"
        if self._date3(k) and self._set_apart(k, 3):
            return 3, "date"
        if self._date2(k) and self._set_apart(k, 2):
            return 2, "date"
        if self._decimal(k) and self._set_apart(k, 2):
            return 2, "decimal"
        return None

    def _set_apart(self, first: int, size: int) -> bool:
        """A date or an amount is set apart from the groups around it by a space or another separator
        than its own (in `4242-12-27-…` or `4 - 12 - 27 - …` the `12-27` is part of something else)."""
        inside = set(self.cores[first : first + size - 1])
        raw = set(self.gaps[first : first + size - 1])
        for gap in (first - 1, first + size - 1):
            if 0 <= gap < len(self.gaps):
                if self.gaps[gap] in raw or (not self.spaced[gap] and self.cores[gap] in inside):
                    return False
        return True

    def _amount(self, k: int) -> int:
        """`151.20`, `1234,56`, `1 234,56`, `1,234,567.89`: thousands of 3 digits, 2 decimals."""
        lengths, gaps = self.lengths, self.gaps
        if lengths[k] > 7:
            return 0
        j, mark = k, ""
        if lengths[k] <= 3:
            while j + 1 < len(lengths) and lengths[j + 1] == 3 and gaps[j] in _THOUSANDS:
                if mark not in ("", gaps[j]):
                    break
                mark = gaps[j]
                j += 1
        if j + 1 < len(lengths) and lengths[j + 1] == 2 and gaps[j] in (".", ",") and gaps[j] != mark:
            return j + 2 - k
        return 0

    def _decimal(self, k: int) -> bool:
        """`0.9999997476577759`, `1714567890.123456` (a score, a timestamp in a log line): a full stop
        between an integer part that is no card's first group of 4 and at least 6 decimals."""
        whole, decimals = self.lengths[k], self.lengths[k + 1]
        return self.gaps[k] == "." and whole != 4 and whole <= 10 and decimals >= 6

    def _date3(self, k: int) -> bool:
        """`02/12/2027`, `12-02-27`, `2027-12-02` (one mark, twice)."""
        if k + 2 >= len(self.digits) or self.cores[k] not in _DATE_MARKS:
            return False
        if self.cores[k + 1] != self.cores[k]:
            return False
        a, b, c = self.digits[k : k + 3]
        if len(a) == 4 and len(b) <= 2 and len(c) <= 2:
            return _year(a) and 1 <= int(b) <= 12 and 1 <= int(c) <= 31
        if len(a) <= 2 and len(b) <= 2 and len(c) in (2, 4):
            x, y = int(a), int(b)
            return 1 <= x <= 31 and 1 <= y <= 31 and min(x, y) <= 12 and (len(c) == 2 or _year(c))
        return False

    def _date2(self, k: int) -> bool:
        """`12/27`, `12 / 2027`, `2027-12`: a month and a year."""
        if self.cores[k] not in _DATE_MARKS:
            return False
        a, b = self.digits[k : k + 2]
        if len(a) <= 2 and len(b) in (2, 4):
            return 1 <= int(a) <= 12 and (len(b) == 2 or _year(b))
        if len(a) == 4 and len(b) <= 2:
            return _year(a) and 1 <= int(b) <= 12
        return False

    # Phones and card numbers ---------------------------------------------------------------------
    def _phones(self, first: int, last: int, others: bool = False) -> bool:
        """Numbers set apart by list marks, each the length of a phone number (9 to 12 digits); with
        `others`, a list of shorter numbers too, with a phone number among them (`0612345678, 2040`)."""
        if not any(self.listing[first:last]):
            return False
        chunks, count = [], 0
        for k in range(first, last + 1):
            count += self.lengths[k]
            if k == last or self.listing[k]:
                chunks.append(count)
                count = 0
        if others:
            return max(chunks) <= 12 and any(chunk >= 9 for chunk in chunks)
        return all(9 <= chunk <= 12 for chunk in chunks)

    def _cards(self, first: int, last: int) -> list[tuple[int, int, str]]:
        """The valid card numbers of groups first..last (Luhn-valid, of a length their brand issues): the
        reading with the most numbers, then the most usual lengths (16 digits above all), then the most
        digits. What is left unexplained with 13 digits or more is masked as a mistyped number."""
        digits, lengths = self.digits, self.lengths
        total = sum(lengths[first : last + 1])
        if total < SHORTEST or self._phones(first, last):
            return []
        number = "".join(digits[first : last + 1])
        if first == last or (total <= LONGEST and _fit(number) == _USUAL):
            # One group, or all the digits are a number of the most usual length for its brand.
            valid = total <= LONGEST and luhn_valid(number) and _fit(number) > 0
            return [(first, last, CARD if valid else MISTYPED)]
        # best[i]: the score of the best reading of groups first+i..; take[i]: the last group of the
        # number that starts at first+i in it, or -1 when that group is left out.
        size = last - first + 1
        offsets = [0, *itertools.accumulate(lengths[first : last + 1])]
        plain_last, doubled_last = _luhn_sums(number)
        best: list[tuple[int, int, int]] = [(0, 0, 0)] * (size + 1)
        take = [-1] * (size + 1)
        for i in range(size - 1, -1, -1):
            best[i] = best[i + 1]
            for j in range(i, size):
                start, end = offsets[i], offsets[j + 1]
                count = end - start
                if count > LONGEST:
                    break
                sums = plain_last if (end - 1) % 2 == 0 else doubled_last
                if count >= SHORTEST and (sums[end] - sums[start]) % 10 == 0:
                    fit = _fit(number[start:end])
                    rest = best[j + 1]
                    score = (rest[0] + 1, rest[1] + fit, rest[2] + count)
                    if fit and score >= best[i]:
                        best[i], take[i] = score, j
        masks: list[tuple[int, int, str]] = []
        left = -1  # first group of the stretch left out so far
        i = 0
        while i < size:
            j = take[i]
            if j < 0:
                left = i if left < 0 else left
                i += 1
                continue
            if left >= 0:
                masks += self._mistyped(first + left, first + i - 1)
                left = -1
            masks.append((first + i, first + j, CARD))
            i = j + 1
        if left >= 0:
            masks += self._mistyped(first + left, last)
        return masks

    def _mistyped(self, first: int, last: int) -> list[tuple[int, int, str]]:
        if sum(self.lengths[first : last + 1]) < SHORTEST or self._phones(first, last, others=True):
            return []
        return [(first, last, MISTYPED)]


_USUAL = 3


def _fit(number: str) -> int:
    """How usual the length of a card number is for its brand (by its first digits): 3 for 16 digits
    (15 for American Express), 2 for 14 (Diners Club), 1 for another length; 0 for no card number at
    all: a leading 0, an American Express number of other than 15 digits, a Mastercard of other than 16.
    """
    return _fit_of(number[:4], len(number))


@functools.lru_cache(maxsize=4096)
def _fit_of(prefix: str, length: int) -> int:
    two, four = int(prefix[:2]), int(prefix)
    if prefix[0] == "0":
        return 0
    if two in (34, 37):  # American Express
        return _USUAL if length == 15 else 0
    if 51 <= two <= 55 or 2221 <= four <= 2720:  # Mastercard
        return _USUAL if length == 16 else 0
    if two in (36, 38, 39) or 300 <= int(prefix[:3]) <= 305 or four == 3095:  # Diners Club
        return 2 if length == 14 else _USUAL if length == 16 else 1
    return _USUAL if length == 16 else 1


def _luhn_sums(number: str) -> tuple[list[int], list[int]]:
    """Prefix sums of the Luhn contributions of `number`'s digits, for any stretch of it in O(1): the
    first list for a stretch ending on an even position (even positions as they are, odd ones doubled),
    the second for one ending on an odd position."""
    raw = number.encode("ascii")
    plain, doubled = raw.translate(_VALUES), raw.translate(_DOUBLED_VALUES)
    even_last, odd_last = bytearray(plain), bytearray(doubled)
    even_last[1::2], odd_last[1::2] = doubled[1::2], plain[1::2]
    return [0, *itertools.accumulate(even_last)], [0, *itertools.accumulate(odd_last)]


def _year(digits: str) -> bool:
    return 1900 <= int(digits) <= 2099
