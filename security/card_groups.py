"""Digit groups and the gaps between them, and the shapes among them that are no card number.

A run of digit groups (security/cards.py finds them) is read by `Groups`: each gap as its ASCII
punctuation, whether it holds a space and whether it separates list items (`_gap_kind`); then which
groups form a date (`12/2027`, `2027-12-02`), an amount (`1 234,56`) or a decimal number
(`0.9999997476577759`), set apart from the groups around it (`Groups._ordinary`). `Run`
(security/card_numbers.py) reads the rest for card numbers. Pure: standard library only."""

from __future__ import annotations

import functools
import re

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
_SPACES = re.compile(r"\s+")
_NEWLINE = re.compile(r"[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
# Between two thousands: one space (any width), a comma, a full stop.
_THOUSANDS = frozenset(" \u00a0\u2009\u202f,.")
_DATE_MARKS = ("/", "-", ".")
_PIECE_MARKS = ("/", "-", ".", ",")


@functools.lru_cache(maxsize=512)
def _gap_kind(gap: str) -> tuple[str, bool, bool]:
    """A gap's punctuation as ASCII (`core`), whether it holds a space, whether it separates list items
    (a comma, a newline, a spaced slash or dash)."""
    core = _SPACES.sub("", gap).translate(_CORE)
    spaced = len(core) < len(gap)
    listing = "," in core or bool(_NEWLINE.search(gap)) or (spaced and core in ("/", "-"))
    return core, spaced, listing


class Groups:
    """Digit groups joined by short gaps: their digits and gaps, and which are dates and amounts."""

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


def _year(digits: str) -> bool:
    return 1900 <= int(digits) <= 2099
