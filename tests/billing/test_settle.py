"""Settle a past-due balance: one charge; paid => active with a receipt, declined => nothing else moves."""

from __future__ import annotations

import re

import pytest
from billing_support import (
    ALICE,
    ALICE_VISA,
    BOB,
    BOB_MC,
    BUSINESS_STANDARD,
    DAVE,
    DAVE_VISA,
    DECLINE_MESSAGES,
    DECLINED,
    E3,
    EXCHANGE,
    EXPIRED_CARD,
    FABRIKAM_BASIC,
    INCORRECT_CVC,
    INSUFFICIENT_FUNDS,
    MASTERCARD_OK,
    OTHER_VALID,
    PROCESSING_ERROR,
    RECEIPT,
    TODAY,
    VISA_OK,
    at,
)

from tests.support.dates import year

pytestmark = pytest.mark.usefixtures("backend")


def assert_paid(db, sub_id: str, card_id: str, body: dict, amount: str, cents: int) -> None:
    assert body["status"] == "succeeded"
    assert body["subscription_id"] == sub_id
    assert body["amount"] == {"amount": amount, "currency": "EUR"}
    assert re.match(RECEIPT, body["receipt_ref"]), body["receipt_ref"]
    assert body["payment_method"]["id"] == card_id
    sub = db.subscription(sub_id)
    assert (sub["outstanding_cents"], sub["state"], sub["past_due_reason"], sub["payment_method_id"]) == (
        0,
        "active",
        None,
        card_id,
    )
    charge = db.one("charges", id=body["charge_id"])
    assert (charge["outcome"], charge["amount_cents"], charge["currency"], charge["receipt_ref"]) == (
        "succeeded",
        cents,
        "EUR",
        body["receipt_ref"],
    )
    assert (charge["subscription_id"], charge["payment_method_id"], at(charge["created_at"])) == (
        sub_id,
        card_id,
        TODAY,
    )


@pytest.mark.date_sensitive
async def test_retry_of_the_card_on_file_pays_the_balance(api, db):
    response = await api.settle(BOB, EXCHANGE, BOB_MC)

    assert response.status_code == 200, response.text
    body = response.json()
    assert_paid(db, EXCHANGE, BOB_MC, body, "40.00", 4000)
    assert body["also_updated"] == []
    assert db.subscription(E3)["payment_method_id"] == BOB_MC


async def test_another_own_card_pays_and_replaces_someone_elses_expired_card(api, db):
    # Bob may not retry Alice's expired Visa, but he may pay with his own Mastercard.
    response = await api.settle(BOB, BUSINESS_STANDARD, BOB_MC)

    assert response.status_code == 200, response.text
    assert_paid(db, BUSINESS_STANDARD, BOB_MC, response.json(), "151.20", 15120)
    assert response.json()["also_updated"] == []
    assert db.card(ALICE_VISA)["status"] == "active"  # Alice's card is replaced, not deleted


async def test_just_added_card_pays_and_replaces_the_declined_card_everywhere_in_the_tenant(api, db):
    card_id = await api.new_card(BOB, VISA_OK)

    response = await api.settle(BOB, EXCHANGE, card_id)

    assert response.status_code == 200, response.text
    body = response.json()
    assert_paid(db, EXCHANGE, card_id, body, "40.00", 4000)
    assert body["also_updated"] == ["Microsoft 365 E3"]
    assert db.subscription(E3)["payment_method_id"] == card_id
    assert (db.subscription(E3)["state"], db.subscription(E3)["outstanding_cents"]) == ("active", 0)
    # Subscriptions on other cards stay where they were.
    assert db.subscription(BUSINESS_STANDARD)["payment_method_id"] == ALICE_VISA
    assert db.subscription(FABRIKAM_BASIC)["payment_method_id"] == DAVE_VISA


async def test_replacement_is_audited_with_the_old_and_new_card(api, db):
    card_id = await api.new_card(BOB, MASTERCARD_OK)

    await api.settle(BOB, EXCHANGE, card_id)

    [entry] = db.audit("subscription.payment_method_replaced")
    assert (entry["actor"], entry["target"]) == (BOB, EXCHANGE)
    assert entry["details"] == {"old": BOB_MC, "new": card_id, "also_updated": ["Microsoft 365 E3"]}


@pytest.mark.date_sensitive
async def test_alice_updates_her_expired_card_then_retries_it(api, client, auth, db):
    patched = await client.patch(
        f"/v1/payment-methods/{ALICE_VISA}",
        json={"exp_month": 10, "exp_year": year(3), "cvc": "123"},
        headers=auth(ALICE),
    )
    assert patched.status_code == 200

    response = await api.settle(ALICE, BUSINESS_STANDARD, ALICE_VISA, amount="151.20")

    assert response.status_code == 200, response.text
    assert_paid(db, BUSINESS_STANDARD, ALICE_VISA, response.json(), "151.20", 15120)


@pytest.mark.date_sensitive
async def test_dave_pays_fabrikams_balance_with_his_card(api, db):
    response = await api.settle(DAVE, FABRIKAM_BASIC, DAVE_VISA, amount=120)

    assert response.status_code == 200, response.text
    assert_paid(db, FABRIKAM_BASIC, DAVE_VISA, response.json(), "120.00", 12000)
    assert db.subscription(EXCHANGE)["outstanding_cents"] == 4000


async def test_confirmed_amount_matching_the_balance_is_accepted(api, db):
    response = await api.settle(BOB, EXCHANGE, BOB_MC, amount="40.00")

    assert response.status_code == 200
    assert db.subscription(EXCHANGE)["outstanding_cents"] == 0


async def test_paid_subscription_has_nothing_more_to_settle(api, db):
    assert (await api.settle(BOB, EXCHANGE, BOB_MC)).status_code == 200

    again = await api.settle(BOB, EXCHANGE, BOB_MC)

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "nothing_to_settle"
    assert len(db.charges(subscription_id=EXCHANGE, outcome="succeeded")) == 1


async def test_active_subscription_has_nothing_to_settle(api, db):
    before = db.snapshot()

    response = await api.settle(BOB, E3, BOB_MC)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "nothing_to_settle"
    assert db.snapshot() == before


@pytest.mark.parametrize("number", [VISA_OK, MASTERCARD_OK, OTHER_VALID])
async def test_cards_the_processor_accepts_pay_the_balance(api, db, number):
    card_id = await api.new_card(BOB, number)

    response = await api.settle(BOB, EXCHANGE, card_id)

    assert response.status_code == 200, response.text
    assert_paid(db, EXCHANGE, card_id, response.json(), "40.00", 4000)
    assert db.count("charges") == 2  # the seeded decline and this payment


@pytest.mark.parametrize(
    ("number", "decline_code"),
    [
        (DECLINED, "card_declined"),
        (INSUFFICIENT_FUNDS, "insufficient_funds"),
        (EXPIRED_CARD, "expired_card"),
        (INCORRECT_CVC, "incorrect_cvc"),
        (PROCESSING_ERROR, "processing_error"),
    ],
)
async def test_declined_payment_reports_the_code_and_records_the_attempt(api, db, number, decline_code):
    card_id = await api.new_card(BOB, number)
    sub_before = db.subscription(EXCHANGE)

    response = await api.settle(BOB, EXCHANGE, card_id)

    assert response.status_code == 402
    [charge] = db.charges(payment_method_id=card_id)
    assert response.json()["error"] == {
        "code": decline_code,
        "message": DECLINE_MESSAGES[decline_code],
        "decline_code": decline_code,
        "charge_id": charge["id"],
    }
    assert (charge["outcome"], charge["decline_code"], charge["amount_cents"], charge["actor_user_id"]) == (
        "declined",
        decline_code,
        4000,
        BOB,
    )
    assert charge["receipt_ref"] is None
    sub_after = db.subscription(EXCHANGE)
    assert at(sub_after.pop("last_failed_at")) == TODAY  # the one thing a decline moves
    sub_before.pop("last_failed_at")
    assert sub_after == sub_before  # still past due, same balance, reason and card on file


async def test_decline_leaves_other_subscriptions_cards_and_history_alone(api, db):
    card_id = await api.new_card(BOB, INSUFFICIENT_FUNDS)
    before = db.snapshot(("payment_methods",))
    others_before = [s for s in db.rows("subscriptions") if s["id"] != EXCHANGE]
    audit_before = len(db.audit())

    response = await api.settle(BOB, EXCHANGE, card_id)

    assert response.status_code == 402
    assert [s for s in db.rows("subscriptions") if s["id"] != EXCHANGE] == others_before
    assert db.subscription(E3)["payment_method_id"] == BOB_MC
    assert db.snapshot(("payment_methods",)) == before
    assert [e["action"] for e in db.audit()[audit_before:]] == ["charge.declined"]


@pytest.mark.date_sensitive
async def test_alice_retrying_her_expired_card_is_declined_as_expired(api, db):
    response = await api.settle(ALICE, BUSINESS_STANDARD, ALICE_VISA)

    assert response.status_code == 402
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("expired_card", "The card has expired.")
    sub = db.subscription(BUSINESS_STANDARD)
    assert (sub["outstanding_cents"], sub["state"], sub["payment_method_id"]) == (
        15120,
        "past_due",
        ALICE_VISA,
    )
    assert [
        (c["outcome"], c["decline_code"], c["actor_user_id"])
        for c in db.charges(payment_method_id=ALICE_VISA)
    ] == [("declined", "expired_card", ALICE)]


async def test_charges_list_the_attempts_newest_first(api, client, auth, clock):
    declined = await api.new_card(BOB, DECLINED)
    await api.settle(BOB, EXCHANGE, declined)
    clock.advance(60)
    await api.settle(BOB, EXCHANGE, BOB_MC)

    response = await client.get(f"/v1/subscriptions/{EXCHANGE}/charges", headers=auth(BOB))

    assert [(c["outcome"], c["decline_code"]) for c in response.json()] == [
        ("succeeded", None),
        ("declined", "card_declined"),
        ("declined", "insufficient_funds"),  # the seeded history
    ]
