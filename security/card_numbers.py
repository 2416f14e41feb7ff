"""Card numbers among a run's digit groups: the Luhn check, the lengths each brand issues, phone numbers
and security codes.

`Run` extends `Groups` (security/card_groups.py): outside the dates and amounts, the stretches of 13
to 19 digits that pass the Luhn check and have a length their brand issues are card numbers (the
reading with the most numbers, then the most usual lengths); lists of phone numbers are left alone;
what remains with 13 digits or more is a mistyped number; a lone group of 3 or 4 digits right after
a card number is its security code or expiry. Pure: standard library only."""

from __future__ import annotations

import functools
import itertools

from security.card_groups import Groups
from security.card_text import ascii_digits

_DOUBLED = str.maketrans("0123456789", "0246813579")  # a digit doubled, its digits summed (Luhn)
_VALUES = bytes.maketrans(b"0123456789", bytes(range(10)))
_DOUBLED_VALUES = bytes.maketrans(b"0123456789", bytes((0, 2, 4, 6, 8, 1, 3, 5, 7, 9)))
SHORTEST, LONGEST = 13, 19
CARD, MISTYPED, CODE = "card", "mistyped", "code"  # what a masked stretch of digits was


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum of a string of digits (any script)."""
    reverse = ascii_digits(digits)[::-1]
    return (sum(map(int, reverse[0::2])) + sum(map(int, reverse[1::2].translate(_DOUBLED)))) % 10 == 0


class Run(Groups):
    """Digit groups joined by short gaps: which of them are phones, card numbers, security codes."""

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
