"""What an agent sees of a conversation: the transcript (card data masked), what the assistant tried
and why it failed, and the user's billing context read live from billing."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from clients.billing import BillingClient, BillingRefused, BillingUnavailable, Card, Subscription
from security import tokens
from security.cards import find_card_data

# Responses in which the assistant reports something that did not work.
SETBACKS = {
    "utter_default": "did not understand the user",
    "utter_did_you_mean": "was unsure what the user meant",
    "utter_payment_failed": "payment declined",
    "utter_card_refused": "card refused by billing",
    "utter_not_card_owner": "card belongs to someone else",
    "utter_card_expired_cannot_retry": "expired card cannot be retried",
    "utter_no_billing_role": "user has no billing role",
    "utter_too_many_attempts": "card attempts paused (too many failures)",
    "utter_billing_unavailable": "billing was unreachable",
    "utter_payment_outcome_unknown": "payment outcome unknown (billing timed out)",
    "utter_invalid_expiry_format": "expiry date not understood",
    "utter_invalid_month": "invalid month",
    "utter_expiry_in_past": "expiry date in the past",
    "utter_invalid_cvc": "invalid security code",
    "utter_invalid_card_number": "invalid card number",
    "utter_form_help": "two unusable answers in a row",
    "utter_in_flow_not_understood": "did not understand an answer",
    "utter_subscription_not_found": "subscription named not found",
    "utter_no_other_card_saved": "no other usable card saved",
}


def masked(text: str) -> str:
    """Card numbers and named security codes masked, whatever reached the tracker."""
    return find_card_data(text).text


def _at(event: dict[str, Any]) -> str:
    stamp = event.get("timestamp")
    if isinstance(stamp, (int, float)):
        return datetime.fromtimestamp(stamp, tz=timezone.utc).isoformat()
    return ""


def transcript(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """User, assistant and agent messages with their times; button clicks read as their titles."""
    lines: list[dict[str, Any]] = []
    for event in events:
        kind = event.get("event")
        if kind == "user":
            text = str(event.get("text") or "")
            if text.startswith("/"):
                shown = (event.get("metadata") or {}).get("shown_as")
                if not shown:
                    continue  # triggered by the system (hand-back), not typed
                text = f"[{shown}]"
            lines.append({"sender": "user", "text": masked(text), "at": _at(event)})
        elif kind == "bot":
            metadata = event.get("metadata") or {}
            agent = metadata.get("agent_name")
            lines.append(
                {
                    "sender": "agent" if agent else "bot",
                    "name": agent or "Assistant",
                    "text": masked(str(event.get("text") or "")),
                    "at": _at(event),
                }
            )
    return lines


def setbacks(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the assistant tried that did not work, newest last."""
    found = []
    for event in events:
        if event.get("event") != "bot":
            continue
        response = (event.get("metadata") or {}).get("utter_action")
        if response in SETBACKS:
            found.append(
                {"what": SETBACKS[response], "said": masked(str(event.get("text") or "")), "at": _at(event)}
            )
    return found


def slots(events: list[dict[str, Any]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for event in events:
        if event.get("event") == "slot":
            values[str(event.get("name"))] = event.get("value")
        elif event.get("event") == "restart":
            values = {}
    return values


async def billing_context(
    billing_url: str, rules: tokens.TokenRules, user_id: str, tenant_id: str, roles: list[str]
) -> dict[str, Any]:
    """The user's profile, past-due subscriptions and cards on file (brand, last four, expiry only),
    read with a short-lived token carrying the user's own roles."""
    token = tokens.mint(
        rules.secret, user_id, tenant_id, roles, ttl_seconds=60, issuer=rules.issuer, audience=rules.audience
    )
    billing = BillingClient(billing_url, token)
    try:
        me = await billing.me()
        context: dict[str, Any] = {"user": me, "subscriptions": [], "billing_error": None}
        if not me["can_pay"]:
            context["billing_error"] = "The user has no billing role: billing shows them nothing."
            return context
        context["subscriptions"] = [_shown(sub) for sub in await billing.past_due_subscriptions()]
        return context
    except BillingUnavailable:
        return {"user": None, "subscriptions": [], "billing_error": "Billing is not reachable right now."}
    except BillingRefused as refused:
        return {"user": None, "subscriptions": [], "billing_error": f"Billing refused: {refused.message}"}


def _shown(sub: Subscription) -> dict[str, Any]:
    """A past-due subscription as the agent sees it: no card detail beyond brand, last four, expiry."""
    card = sub["payment_method"]
    return {
        "product": sub["product"],
        "amount": sub["outstanding"],
        "reason": sub["past_due_reason"],
        "card": {
            "brand": card.get("brand"),
            "last4": card.get("last4"),
            "expiry": _expiry(card),
            "owned_by_user": bool(card.get("owned_by_caller")),
        }
        if card
        else None,
    }


def _expiry(card: Card) -> str | None:
    month, year = card.get("exp_month"), card.get("exp_year")
    if month and year:
        return f"{int(month):02d}/{year}"
    return None
