"""Paying with another of the user's own cards: the one they named, or buttons to choose."""

from __future__ import annotations

import json
from collections.abc import Sequence

from rasa_sdk.executor import CollectingDispatcher

from actions import formatting
from clients.billing import Card


def usable(cards: Sequence[Card]) -> list[Card]:
    return [c for c in cards if not c.get("expired")]


def pick(cards: list[Card], brand: str | None, last_four: str | None) -> list[Card]:
    found = cards
    if last_four:
        found = [c for c in found if c["last4"] == last_four]
    if brand:
        found = [c for c in found if c["brand"] == brand.lower()]
    return found


def offer(dispatcher: CollectingDispatcher, cards: Sequence[Card]) -> None:
    """The user's usable cards as buttons; a tap names brand and last four."""
    buttons = [
        {
            "title": formatting.card(c),
            "payload": "/use_other_card" + json.dumps({"last_four": c["last4"], "card_brand": c["brand"]}),
        }
        for c in cards
    ]
    dispatcher.utter_message(response="utter_choose_card", buttons=buttons)
