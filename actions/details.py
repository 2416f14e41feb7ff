"""Reading the details of a card from any message: expiry, security code, number, holder.

A detail is taken from the message that answers its question (the form's `from_text` mapping), and
also from any other message while the procedure runs: several answers in one message, or a correction
of an earlier answer ("oops, the year is 2031") while another question is pending."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import clock
from actions.context import latest_metadata
from actions.expiry_parser import MONTHS, ExpiryError, parse_expiry
from reading.words import plain

MAX_INVALID = 2
# A date written with its separator (a bare "12 27" is left to the question that asks for a date).
_DATE = re.compile(r"(?<![\d•])(0?[1-9]|1[0-2])\s*[/\-]\s*(\d{4}|\d{2})(?![\d•])")
_NAMED_DATE = re.compile(r"\b(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?\s+(\d{4}|\d{2})\b")
_YEAR_ONLY = re.compile(r"\b(?:year|annee|an)\b\D{0,12}?\b(20\d{2})\b")
_MONTH_ONLY = re.compile(r"\b(?:month|mois)\b\D{0,12}?\b(0?[1-9]|1[0-2])\b(?!\s*[/\-])")
_HOLDER = re.compile(
    r"\b(?:card\s*holder|holder|name\s+on\s+the\s+card|name|titulaire|au\s+nom\s+de|nom\s+du\s+titulaire|nom)"
    r"\s*(?:is|:|=|est|c'est|sera)?\s*(?:is\s+)?([^\W\d_][^\d_,;.!?]{1,98}[^\W\d_])",
    re.IGNORECASE,
)
# Words that end a name written in a longer message ("name Bob Durand exp 12/28"), or show the words
# after "name" are not one ("the name on my other card").
_AFTER_NAME = re.compile(
    r"\s+\b(?:exp\w*|cvc|cvv|code|card|carte|and|et|please|svp|with|avec|for|pour|valid\w*)\b.*$",
    re.IGNORECASE,
)
_NOT_A_NAME = re.compile(
    r"^(?:on|of|in|my|the|your|sur|de|du|des|la|le|les|ma|mon|votre|is)\b", re.IGNORECASE
)
HOLDER_NAME = re.compile(r"^[^\W\d_][^\d_]{0,98}[^\W\d_]$")
# The last four digits written right after a brand or "ending in" ("my Mastercard 5100", "visa •••• 1881",
# "la carte se terminant par 4444"); not a date ("card 12/27") nor part of a longer number.
_LAST_FOUR = re.compile(
    r"\b(?:visa|master\s?card|mc|amex|american\s+express|discover|ending\s+(?:in|with)|ends\s+(?:in|with)"
    r"|finissant\s+par|se\s+terminant\s+par|terminant\s+par)\s*[•*x.\s]*(?<![\d/])(\d{4})(?![\d/\-]|\s\d{4})"
)


def vaulted(tracker: Tracker) -> dict[str, Any]:
    """What the input channel vaulted from the latest message (tokens, brand, last four, error)."""
    return dict(latest_metadata(tracker).get("vault") or {})


def latest_text(tracker: Tracker) -> str:
    text = str(tracker.latest_message.get("text") or "")
    return "" if text.startswith("/") else text


def mentioned_expiry(text: str, current: str | None) -> str | None:
    """An expiry written somewhere in `text` ("exp 08/31", "décembre 2027"), or a correction of one
    part of `current` ("the year is 2031", "le mois est 04"): the new value as MM/YYYY, else None."""
    plain_text = plain(text)
    found = _DATE.search(plain_text)
    if found:
        return _shown(int(found.group(1)), found.group(2))
    for named in _NAMED_DATE.finditer(plain_text):
        return _shown(MONTHS[named.group(1)], named.group(2))
    if current:
        month, year = split_expiry(current)
        year_only, month_only = _YEAR_ONLY.search(plain_text), _MONTH_ONLY.search(plain_text)
        if year_only or month_only:
            new_month = int(month_only.group(1)) if month_only else month
            return _shown(new_month, year_only.group(1) if year_only else str(year))
    return None


def mentioned_last_four(text: str) -> str | None:
    """The last four digits of one of the user's cards, when the message names them after the brand."""
    found = _LAST_FOUR.search(plain(text))
    return found.group(1) if found else None


def mentioned_holder(text: str) -> str | None:
    """The cardholder's name when the message says it ("name Bob Durand", "titulaire : Marie Dupont")."""
    found = _HOLDER.search(text)
    if not found or "?" in text:
        return None
    name = " ".join(_AFTER_NAME.sub("", found.group(1)).split())
    if _NOT_A_NAME.match(name) or not HOLDER_NAME.match(name):
        return None
    return name


def _shown(month: int, year: str) -> str:
    return f"{month:02d}/{2000 + int(year) if len(year) == 2 else int(year)}"


def split_expiry(value: str) -> tuple[int, int]:
    month, year = value.split("/")
    return int(month), int(year)


def invalid(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str) -> dict[str, Any]:
    """Refuse an answer; after two in a row, explain the way out."""
    count = float(tracker.get_slot("invalid_answers") or 0) + 1
    if count >= MAX_INVALID:
        dispatcher.utter_message(response="utter_form_help")
        count = 0
    return {slot: None, "invalid_answers": count}


def valid(slot: str, value: Any) -> dict[str, Any]:
    return {slot: value, "invalid_answers": 0}


def validate_expiry(
    slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, quiet: bool = False
) -> dict[str, Any]:
    """A date for `slot` (MM/YYYY), this month or later; `quiet` refuses without a word (the message
    answered something else)."""
    text = str(value or "")
    try:
        parsed = parse_expiry(text)
    except ExpiryError as error:
        if quiet:
            return {slot: None}
        if error.code == "ambiguous":
            dispatcher.utter_message(response="utter_expiry_ambiguous", value=text[:40], **error.details)
        elif error.code == "bad_month":
            dispatcher.utter_message(response="utter_invalid_month", **error.details)
        else:
            dispatcher.utter_message(response="utter_invalid_expiry_format", value=text[:40])
        return invalid(dispatcher, tracker, slot)
    today = clock.today()
    shown = f"{parsed.month:02d}/{parsed.year}"
    if (parsed.year, parsed.month) < (today.year, today.month):
        dispatcher.utter_message(response="utter_expiry_in_past", expiry=shown)
        return invalid(dispatcher, tracker, slot)
    return valid(slot, shown)


def validate_security_code(
    dispatcher: CollectingDispatcher, tracker: Tracker, quiet: bool = False
) -> dict[str, Any]:
    slot = "security_code_token"
    token = vaulted(tracker).get("security_code_token")
    if token:
        return valid(slot, token)
    if quiet:
        return {slot: None}
    dispatcher.utter_message(response="utter_invalid_cvc")
    return invalid(dispatcher, tracker, slot)
