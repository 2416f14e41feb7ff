"""Who am I, which subscriptions are past due, how much and why, and which card is on file."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from billing_support import (
    ALICE,
    ALICE_VISA,
    BOB,
    BOB_MC,
    BUSINESS_STANDARD,
    CAROL,
    DAVE,
    E3,
    EXCHANGE,
    FABRIKAM_BASIC,
    TODAY,
    at,
)

from tests.support.dates import ALICE_VISA_EXPIRY, BOB_MASTERCARD_EXPIRY

pytestmark = pytest.mark.usefixtures("backend")


@pytest.mark.parametrize(
    ("user", "display_name", "tenant_name", "roles", "can_pay", "locale"),
    [
        (ALICE, "Alice Martin", "Contoso Ltd", ["global_admin"], True, "fr"),
        (BOB, "Bob Durand", "Contoso Ltd", ["billing_admin"], True, "en"),
        (CAROL, "Carol Petit", "Contoso Ltd", ["user"], False, "fr"),
        (DAVE, "Dave Wilson", "Fabrikam Inc", ["billing_admin"], True, "en"),
    ],
)
async def test_me_describes_the_signed_in_user(
    client, auth, user, display_name, tenant_name, roles, can_pay, locale
):
    response = await client.get("/v1/me", headers=auth(user))

    assert response.status_code == 200
    assert response.json() == {
        "user_id": user,
        "display_name": display_name,
        "tenant_id": "contoso" if user != DAVE else "fabrikam",
        "tenant_name": tenant_name,
        "roles": roles,
        "can_pay": can_pay,
        "locale": locale,
    }


async def test_list_shows_past_due_first_then_by_product_with_amounts_and_reasons(client, auth):
    response = await client.get("/v1/subscriptions", headers=auth(BOB))

    assert response.status_code == 200
    subs = response.json()["subscriptions"]
    assert [(s["id"], s["state"], s["outstanding"]["amount"], s["past_due_reason"]) for s in subs] == [
        (EXCHANGE, "past_due", "40.00", "insufficient_funds"),
        (BUSINESS_STANDARD, "past_due", "151.20", "card_expired"),
        (E3, "active", "0.00", None),
    ]
    assert {s["outstanding"]["currency"] for s in subs} == {"EUR"}
    assert [s["licences"] for s in subs] == [10, 12, 5]


async def test_list_puts_past_due_before_active_whatever_the_name(api, client, auth):
    # Once paid, "Exchange Online" would sort first by name; the past-due subscription stays on top.
    paid = await api.settle(BOB, EXCHANGE, BOB_MC)
    assert paid.status_code == 200

    response = await client.get("/v1/subscriptions", headers=auth(BOB))

    assert [(s["id"], s["state"]) for s in response.json()["subscriptions"]] == [
        (BUSINESS_STANDARD, "past_due"),
        (EXCHANGE, "active"),
        (E3, "active"),
    ]


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("past_due", [EXCHANGE, BUSINESS_STANDARD]),  # then by product name
        ("active", [E3]),
        ("disabled", []),
    ],
)
async def test_list_filters_by_state(client, auth, state, expected):
    response = await client.get("/v1/subscriptions", params={"state": state}, headers=auth(ALICE))

    assert response.status_code == 200
    assert [s["id"] for s in response.json()["subscriptions"]] == expected


async def test_list_refuses_an_unknown_state(client, auth):
    response = await client.get("/v1/subscriptions", params={"state": "overdue"}, headers=auth(ALICE))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


async def test_list_shows_only_the_callers_tenant(client, auth):
    response = await client.get("/v1/subscriptions", headers=auth(DAVE))

    subs = response.json()["subscriptions"]
    assert [(s["id"], s["outstanding"]["amount"], s["past_due_reason"]) for s in subs] == [
        (FABRIKAM_BASIC, "120.00", "card_declined"),
    ]


@pytest.mark.date_sensitive
async def test_owner_sees_the_full_card_on_file(client, auth):
    response = await client.get(f"/v1/subscriptions/{BUSINESS_STANDARD}", headers=auth(ALICE))

    assert response.status_code == 200
    sub = response.json()
    assert sub["product"] == "Microsoft 365 Business Standard"
    assert sub["state"] == "past_due"
    assert sub["outstanding"] == {"amount": "151.20", "currency": "EUR"}
    assert sub["past_due_reason"] == "card_expired"
    assert at(datetime.fromisoformat(sub["last_failed_at"])) == TODAY - timedelta(days=3)  # seeded, relative
    assert sub["payment_method"] == {
        "id": ALICE_VISA,
        "brand": "visa",
        "last4": "4242",
        "owned_by_caller": True,
        "exp_month": ALICE_VISA_EXPIRY[0],
        "exp_year": ALICE_VISA_EXPIRY[1],
        "holder_name": "Alice Martin",
        "expired": True,
    }


async def test_non_owner_sees_only_brand_and_last4_of_the_card_on_file(client, auth):
    response = await client.get(f"/v1/subscriptions/{BUSINESS_STANDARD}", headers=auth(BOB))

    assert response.status_code == 200
    card = response.json()["payment_method"]
    shown = {k: v for k, v in card.items() if v is not None}
    assert shown == {"brand": "visa", "last4": "4242", "owned_by_caller": False}


async def test_non_owner_sees_only_brand_and_last4_in_the_list(client, auth):
    response = await client.get("/v1/subscriptions", headers=auth(ALICE))

    cards = {s["id"]: s["payment_method"] for s in response.json()["subscriptions"]}
    assert {k: v for k, v in cards[EXCHANGE].items() if v is not None} == {
        "brand": "mastercard",
        "last4": "4444",
        "owned_by_caller": False,
    }
    assert cards[BUSINESS_STANDARD]["id"] == ALICE_VISA


@pytest.mark.date_sensitive
async def test_bobs_card_on_file_is_not_expired(client, auth):
    response = await client.get(f"/v1/subscriptions/{EXCHANGE}", headers=auth(BOB))

    card = response.json()["payment_method"]
    expected = (BOB_MC, *BOB_MASTERCARD_EXPIRY, False)
    assert (card["id"], card["exp_month"], card["exp_year"], card["expired"]) == expected


@pytest.mark.date_sensitive
async def test_charges_list_the_seeded_decline(client, auth):
    response = await client.get(f"/v1/subscriptions/{EXCHANGE}/charges", headers=auth(BOB))

    assert response.status_code == 200
    assert [(c["outcome"], c["decline_code"], c["amount"]["amount"]) for c in response.json()] == [
        ("declined", "insufficient_funds", "40.00")
    ]
    seeded_at = [at(datetime.fromisoformat(c["created_at"])) for c in response.json()]
    assert seeded_at == [TODAY - timedelta(days=3)]
