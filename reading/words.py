"""Typed text in the forms the readers compare."""

from __future__ import annotations

import re
import unicodedata


def plain(text: str) -> str:
    """Lower case, without accents: what the readers of typed text compare."""
    folded = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in folded if not unicodedata.combining(c))


def wordless(text: str) -> bool:
    """No letter and no digit ("?", "...", emoji): nothing NLU could read. The widget's masked card
    digits (•) are card data, not punctuation."""
    return not any(unicodedata.category(c)[0] in "LN" or c == "•" for c in text)


WORD = re.compile(r"[^\W\d_]+|\d+")


def words(text: str) -> list[str]:
    """The words and numbers of a text, lower case, without accents: "Régler 2 fois" → regler, 2, fois."""
    return WORD.findall(plain(text))
