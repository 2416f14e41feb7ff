"""Cards: list one's own, add one (typed any usual way), change the expiry of one's own."""

from __future__ import annotations

import pytest
from billing_support import (
    ALICE,
    ALICE_VISA,
    AMEX,
    BOB,
    BOB_MC,
    DAVE,
    DAVE_VISA,
    INCORRECT_CVC,
    TODAY,
    at,
    error_code,
)

from tests.support.dates import (
    ALICE_VISA_EXPIRY,
    BOB_MASTERCARD_EXPIRY,
    DAVE_VISA_EXPIRY,
    THIS_MONTH,
    mm_yyyy,
    year,
    yy,
)

# Expiries are relative to the tests' date: the seeded ones (billing/seed.py) and the ones sent.
pytestmark = [pytest.mark.usefixtures("backend"), pytest.mark.date_sensitive]


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        (ALICE, [(ALICE_VISA, "visa", "4242", *ALICE_VISA_EXPIRY, True)]),
        (BOB, [(BOB_MC, "mastercard", "4444", *BOB_MASTERCARD_EXPIRY, False)]),
        (DAVE, [(DAVE_VISA, "visa", "1881", *DAVE_VISA_EXPIRY, False)]),
    ],
)
async def test_list_shows_only_the_callers_own_cards(client, auth, user, expected):
    response = await client.get("/v1/payment-methods", headers=auth(user))

    assert response.status_code == 200
    cards = response.json()["payment_methods"]
    assert [
        (c["id"], c["brand"], c["last4"], c["exp_month"], c["exp_year"], c["expired"]) for c in cards
    ] == (expected)
    assert all(c["owned_by_caller"] for c in cards)


@pytest.mark.parametrize(
    ("typed", "brand", "last4"),
    [
        ("4242424242424242", "visa", "4242"),
        ("4242 4242 4242 4242", "visa", "4242"),
        ("4242-4242-4242-4242", "visa", "4242"),
        (" 5555 5555-5555 4444 ", "mastercard", "4444"),
        ("3782 822463 10005", "amex", "0005"),
    ],
)
async def test_add_card_normalises_spaces_and_dashes(api, db, typed, brand, last4):
    response = await api.add_card(BOB, typed)

    assert response.status_code == 201, response.text
    card = response.json()
    assert (card["brand"], card["last4"], card["owned_by_caller"], card["expired"]) == (
        brand,
        last4,
        True,
        False,
    )
    stored = db.card(card["id"])
    assert (stored["owner_user_id"], stored["tenant_id"], stored["brand"], stored["last4"]) == (
        BOB,
        "contoso",
        brand,
        last4,
    )
    assert (stored["exp_month"], stored["exp_year"], stored["holder_name"]) == (12, year(4), "Bob Durand")


async def test_the_same_card_typed_differently_is_one_card(api, db):
    first = await api.add_card(BOB, "4242 4242 4242 4242")
    again = await api.add_card(BOB, "4242-4242-4242-4242", exp_month=1, exp_year=year(5))

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert (again.json()["exp_month"], again.json()["exp_year"]) == (1, year(5))
    assert db.count("payment_methods", owner_user_id=BOB) == 2  # the seeded 4444 and this one


async def test_added_card_is_listed_for_its_owner_only(api, client, auth):
    card_id = await api.new_card(BOB, "5555555555554444")

    bobs = (await client.get("/v1/payment-methods", headers=auth(BOB))).json()["payment_methods"]
    alices = (await client.get("/v1/payment-methods", headers=auth(ALICE))).json()["payment_methods"]

    assert [c["id"] for c in bobs] == [BOB_MC, card_id]
    assert [c["id"] for c in alices] == [ALICE_VISA]


async def test_two_digit_expiry_year_is_read_as_this_century(api):
    response = await api.add_card(BOB, exp_year=int(yy(5)))

    assert response.status_code == 201
    assert response.json()["exp_year"] == year(5)


async def test_a_card_expiring_this_month_is_still_valid(api):
    response = await api.add_card(BOB, exp_month=THIS_MONTH[0], exp_year=THIS_MONTH[1])

    assert response.status_code == 201, response.text
    assert response.json()["expired"] is False


async def test_amex_takes_a_four_digit_security_code(api):
    response = await api.add_card(BOB, AMEX, cvc="4567")

    assert response.status_code == 201
    assert response.json()["brand"] == "amex"


async def test_owner_updates_the_expiry_of_their_card(client, auth, db):
    response = await client.patch(
        f"/v1/payment-methods/{ALICE_VISA}",
        json={"exp_month": 10, "exp_year": year(3), "cvc": "123"},
        headers=auth(ALICE),
    )

    assert response.status_code == 200, response.text
    card = response.json()
    assert (card["id"], card["exp_month"], card["exp_year"], card["expired"]) == (
        ALICE_VISA,
        10,
        year(3),
        False,
    )
    stored = db.card(ALICE_VISA)
    assert (stored["exp_month"], stored["exp_year"]) == (10, year(3))
    assert db.subscription("sub_contoso_business_standard")["payment_method_id"] == ALICE_VISA


async def test_expiry_update_needs_the_security_code(client, auth, db):
    response = await client.patch(
        f"/v1/payment-methods/{ALICE_VISA}",
        json={"exp_month": 10, "exp_year": year(3)},
        headers=auth(ALICE),
    )

    assert response.status_code == 422
    assert error_code(response) == "invalid_request"
    assert "cvc" in response.json()["error"]["message"]
    assert (db.card(ALICE_VISA)["exp_month"], db.card(ALICE_VISA)["exp_year"]) == ALICE_VISA_EXPIRY


async def test_expiry_update_refused_when_the_bank_rejects_the_security_code(api, client, auth, db):
    card_id = await api.new_card(BOB, INCORRECT_CVC)
    before = db.snapshot()

    response = await client.patch(
        f"/v1/payment-methods/{card_id}",
        json={"exp_month": 6, "exp_year": year(6), "cvc": "123"},
        headers=auth(BOB),
    )

    assert response.status_code == 402
    assert response.json()["error"] == {"code": "incorrect_cvc", "message": "The security code is incorrect."}
    assert db.snapshot() == before


async def test_updated_card_keeps_its_history_in_the_audit_log(client, auth, db):
    await client.patch(
        f"/v1/payment-methods/{ALICE_VISA}",
        json={"exp_month": 3, "exp_year": year(4), "cvc": "321"},
        headers=auth(ALICE),
    )

    entry = db.audit("payment_method.expiry_updated")[-1]
    assert (entry["actor"], entry["target"], at(entry["at"])) == (ALICE, ALICE_VISA, TODAY)
    assert entry["details"] == {"before": mm_yyyy(ALICE_VISA_EXPIRY), "after": mm_yyyy((3, year(4)))}
