"""The demo data of docs/design.md as the action tests name it, and what another browser tab (or the
widget's secure card form) does to billing behind the assistant's back."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx

from actions import config
from tests.support.dates import year
from tests.support.trackers import Conversation, Turn, billing_get


def use_settings(**changes: Any) -> None:
    """The actions' settings from now on, with `changes` (the conftest configures them for each test)."""
    config.configure(replace(config.current(), **changes))


# The cards' expiries follow the tests' date (tests/support/dates.py); as of December 2026 they are:
STANDARD = "sub_contoso_business_standard"  # 151.20 EUR, Alice's Visa 4242 (10/2026, expired)
EXCHANGE = "sub_contoso_exchange_plan1"  # 40.00 EUR, Bob's Mastercard 4444 (08/2029)
E3 = "sub_contoso_e3"  # active, Bob's Mastercard 4444
BASIC = "sub_fabrikam_business_basic"  # 120.00 EUR, Dave's Visa 1881 (03/2028)
ALICE_VISA, BOB_MASTERCARD, DAVE_VISA = "pm_alice_visa_4242", "pm_bob_mc_4444", "pm_dave_visa_1881"
PRODUCTS = {
    STANDARD: "Microsoft 365 Business Standard",
    EXCHANGE: "Exchange Online (Plan 1)",
    BASIC: "Microsoft 365 Business Basic",
}


def named(subscription: str) -> list[dict[str, Any]]:
    """The entities of a message that names a subscription (or of a tap on its button)."""
    return [{"entity": "subscription", "value": subscription}]


def card_named(last_four: str | None = None, brand: str | None = None) -> list[dict[str, Any]]:
    """The entities of "with my Visa 1881" (or of a tap on a card's button)."""
    entities = [{"entity": "last_four", "value": last_four}] if last_four else []
    return entities + ([{"entity": "card_brand", "value": brand}] if brand else [])


async def choose(conversation: Conversation, subscription_id: str) -> Turn:
    """Tap the subscription's button in the list."""
    product = PRODUCTS[subscription_id]
    return await conversation.say(product, "choose_subscription", named(product))


def headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def charges(billing: dict[str, str], token: str, subscription_id: str) -> list[dict[str, Any]]:
    return list(billing_get(billing, token, f"/v1/subscriptions/{subscription_id}/charges"))


def succeeded(billing: dict[str, str], token: str, subscription_id: str) -> list[dict[str, Any]]:
    return [c for c in charges(billing, token, subscription_id) if c["outcome"] == "succeeded"]


def subscription(billing: dict[str, str], token: str, subscription_id: str) -> dict[str, Any]:
    return dict(billing_get(billing, token, f"/v1/subscriptions/{subscription_id}"))


def own_cards(billing: dict[str, str], token: str) -> list[dict[str, Any]]:
    return list(billing_get(billing, token, "/v1/payment-methods")["payment_methods"])


def paid_elsewhere(billing: dict[str, str], token: str, subscription_id: str, card_id: str) -> None:
    """The balance is paid in another tab of the portal meanwhile."""
    response = httpx.post(
        f"{billing['url']}/v1/subscriptions/{subscription_id}/settle",
        headers={**headers(token), "Idempotency-Key": f"other-tab-{subscription_id}"},
        json={"payment_method_id": card_id},
        timeout=10,
    )
    assert response.status_code == 200, response.text


def added_in_the_widget(billing: dict[str, str], token: str, number: str = "4242424242424242") -> str:
    """A card saved through the widget's secure card form (straight to billing): its id."""
    response = httpx.post(
        f"{billing['url']}/v1/payment-methods",
        headers=headers(token),
        json={
            "number": number,
            "exp_month": 12,
            "exp_year": year(2),
            "cvc": "123",
            "holder_name": "Bob Durand",
        },
        timeout=10,
    )
    assert response.status_code in (200, 201), response.text
    return str(response.json()["id"])
