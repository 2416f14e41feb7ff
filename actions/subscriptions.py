"""Saying what is past due and why, and offering what the user may do about it."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from typing import Any

from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import formatting
from clients.billing import Subscription

REASONS = ("card_expired", "insufficient_funds", "card_declined")


def summarize(dispatcher: CollectingDispatcher, sub: Subscription, language: str) -> None:
    """One sentence: product, amount, and why it is past due."""
    amount = formatting.money(sub["outstanding"]["amount"], sub["outstanding"]["currency"], language)
    card = formatting.card(sub["payment_method"] or {})
    if sub["state"] != "past_due":
        dispatcher.utter_message(response="utter_summary_paid", product=sub["product"])
        return
    reason = sub.get("past_due_reason") if sub.get("past_due_reason") in REASONS else "card_declined"
    if reason == "card_expired" and (sub["payment_method"] or {}).get("expired") is False:
        # Its new date is saved: "has expired" would no longer be true. A card another admin added
        # shows no date (nor `expired`) to this user: it stays "has expired".
        reason = "card_renewed"
    dispatcher.utter_message(
        response=f"utter_summary_{reason}", product=sub["product"], amount=amount, card=card
    )


def present(dispatcher: CollectingDispatcher, sub: Subscription, language: str) -> list[EventType]:
    """Summarize the chosen subscription and offer the options its card owner rules allow."""
    summarize(dispatcher, sub, language)
    owned = bool((sub.get("payment_method") or {}).get("owned_by_caller"))
    dispatcher.utter_message(response="utter_options_owner" if owned else "utter_options_not_owner")
    return [
        SlotSet("subscription_id", sub["id"]),
        SlotSet("subscription", sub["product"]),
        SlotSet("confirming", False),
    ]


def list_choices(
    dispatcher: CollectingDispatcher,
    subs: Sequence[Subscription],
    language: str,
    response: str = "utter_past_due_several",
    **kwargs: Any,
) -> None:
    """The past-due subscriptions, as lines and as buttons."""
    colon = "\u00a0: " if language == "fr" else ": "  # French typography: a space before the colon
    lines = "\n".join(
        f"- {s['product']}{colon}"
        f"{formatting.money(s['outstanding']['amount'], s['outstanding']['currency'], language)}"
        for s in subs
    )
    buttons = [
        {
            "title": s["product"],
            "payload": "/choose_subscription" + json.dumps({"subscription": s["product"]}),
        }
        for s in subs
    ]
    dispatcher.utter_message(response=response, count=len(subs), lines=lines, buttons=buttons, **kwargs)


def _plain(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in folded if c.isalnum() or c == " ")


def match(subs: Sequence[Subscription], wanted: str) -> Subscription | None:
    """The subscription whose product name is, or contains, what the user named."""
    plain = _plain(wanted).strip()
    if not plain:
        return None
    for sub in subs:
        if _plain(sub["product"]) == plain:
            return sub
    found = [s for s in subs if plain in _plain(s["product"])]
    return found[0] if len(found) == 1 else None
