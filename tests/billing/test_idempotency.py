"""One settle intent, one charge: whatever the retries, double clicks and concurrent duplicates."""

from __future__ import annotations

import asyncio

import pytest
from billing_support import ALICE, BOB, BOB_MC, BUSINESS_STANDARD, EXCHANGE, INSUFFICIENT_FUNDS, error_code

pytestmark = pytest.mark.usefixtures("backend")


async def test_replay_returns_the_first_answer_and_charges_nothing_more(api, db):
    first = await api.settle(BOB, EXCHANGE, BOB_MC, key="pay-exchange-0001")
    charges_after_first = db.charges()

    replay = await api.settle(BOB, EXCHANGE, BOB_MC, key="pay-exchange-0001")

    assert first.status_code == replay.status_code == 200
    assert replay.json() == first.json()
    assert db.charges() == charges_after_first
    assert len(db.charges(outcome="succeeded")) == 1


async def test_replay_of_a_decline_returns_the_same_decline_without_charging_again(api, db):
    card_id = await api.new_card(BOB, INSUFFICIENT_FUNDS)
    first = await api.settle(BOB, EXCHANGE, card_id, key="pay-exchange-0002")

    replay = await api.settle(BOB, EXCHANGE, card_id, key="pay-exchange-0002")

    assert first.status_code == replay.status_code == 402
    assert replay.json() == first.json()
    assert len(db.charges(payment_method_id=card_id)) == 1


async def test_a_new_key_is_a_new_attempt(api, db):
    card_id = await api.new_card(BOB, INSUFFICIENT_FUNDS)
    await api.settle(BOB, EXCHANGE, card_id, key="attempt-one-0001")

    second = await api.settle(BOB, EXCHANGE, card_id, key="attempt-two-0002")

    assert second.status_code == 402
    assert len(db.charges(payment_method_id=card_id)) == 2


async def test_replay_of_the_amount_in_another_notation_is_the_same_request(api, db):
    first = await api.settle(BOB, EXCHANGE, BOB_MC, key="pay-exchange-0003", amount="40.00")

    replay = await api.settle(BOB, EXCHANGE, BOB_MC, key="pay-exchange-0003", amount=40)

    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert len(db.charges(outcome="succeeded")) == 1


@pytest.mark.parametrize(
    ("user", "sub_id", "card_id", "amount"),
    [
        (BOB, BUSINESS_STANDARD, BOB_MC, None),  # another subscription
        (BOB, EXCHANGE, "pm_some_other_card", None),  # another card
        (BOB, EXCHANGE, BOB_MC, "40.00"),  # an amount confirmed this time
        (ALICE, EXCHANGE, BOB_MC, None),  # another user of the tenant
    ],
)
async def test_reusing_a_key_for_another_request_is_refused(api, db, user, sub_id, card_id, amount):
    await api.settle(BOB, EXCHANGE, BOB_MC, key="pay-exchange-0004")
    before = db.snapshot()

    extra = {"amount": amount} if amount else {}
    response = await api.settle(user, sub_id, card_id, key="pay-exchange-0004", **extra)

    assert response.status_code == 422
    assert error_code(response) == "idempotency_key_reused"
    assert db.snapshot() == before


async def test_a_key_is_free_again_when_the_first_request_was_refused_before_any_charge(api, db):
    refused = await api.settle(BOB, EXCHANGE, BOB_MC, key="pay-exchange-0005", amount="39.99")
    assert (refused.status_code, error_code(refused)) == (409, "amount_mismatch")

    retried = await api.settle(BOB, EXCHANGE, BOB_MC, key="pay-exchange-0005", amount="40.00")

    assert retried.status_code == 200
    assert db.count("idempotency_records", key="pay-exchange-0005") == 1


@pytest.mark.parametrize(
    ("key", "code"),
    [
        (None, "missing_idempotency_key"),
        ("", "missing_idempotency_key"),
        ("short", "invalid_idempotency_key"),  # under 8 characters
        ("has spaces in it", "invalid_idempotency_key"),
        ("semi;colon;key", "invalid_idempotency_key"),
        ("k" * 101, "invalid_idempotency_key"),
        ("k" * 201, "invalid_request"),  # over the header's declared limit
    ],
)
async def test_settle_without_a_valid_idempotency_key_is_refused(client, auth, db, key, code):
    headers = auth(BOB)
    if key is not None:
        headers["Idempotency-Key"] = key
    before = db.snapshot()

    response = await client.post(
        f"/v1/subscriptions/{EXCHANGE}/settle", json={"payment_method_id": BOB_MC}, headers=headers
    )

    assert response.status_code == 422
    assert error_code(response) == code
    assert db.snapshot() == before


async def test_concurrent_duplicates_with_one_key_make_exactly_one_charge(api, db, clock):
    responses = await asyncio.gather(
        *(api.settle(BOB, EXCHANGE, BOB_MC, key="double-click-0001") for _ in range(20))
    )

    assert [r.status_code for r in responses] == [200] * 20
    assert len({r.json()["charge_id"] for r in responses}) == 1
    assert len({r.json()["receipt_ref"] for r in responses}) == 1
    assert len(db.charges(idempotency_key="double-click-0001")) == 1
    assert db.count("charges") == 2  # the seeded decline and this one
    assert db.subscription(EXCHANGE)["outstanding_cents"] == 0
    assert len(clock.threads) > 1  # the requests were served side by side, not one after the other


async def test_concurrent_settles_with_different_keys_charge_the_balance_once(api, db, clock):
    responses = await asyncio.gather(
        *(api.settle(BOB, EXCHANGE, BOB_MC, key=f"race-{n:04d}-key") for n in range(20))
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 19
    assert {error_code(r) for r in responses if r.status_code == 409} == {"nothing_to_settle"}
    assert len(db.charges(outcome="succeeded")) == 1
    assert [c["amount_cents"] for c in db.charges(subscription_id=EXCHANGE, outcome="succeeded")] == [4000]
    assert db.count("charges") == 2
    # Refused attempts leave no idempotency record behind: their keys stay usable.
    assert db.count("idempotency_records") == 1
    assert len(clock.threads) > 1  # the requests were served side by side, not one after the other


async def test_a_key_left_pending_by_a_dead_process_is_taken_over_after_two_minutes(api, engine, clock):
    from datetime import timedelta

    from sqlalchemy import insert, select

    from billing.models import Charge, IdempotencyRecord
    from billing.schemas import Settle
    from billing.settle import _hash
    from security.tokens import Principal

    bob = Principal(user_id=BOB, tenant_id="contoso", roles=("billing_admin",))
    with engine.begin() as conn:
        conn.execute(
            insert(IdempotencyRecord).values(
                tenant_id="contoso",
                key="settle-crashed-1",
                user_id=BOB,
                request_hash=_hash(bob, EXCHANGE, Settle(payment_method_id=BOB_MC)),
                state="pending",
                created_at=clock.now - timedelta(minutes=3),
            )
        )
    response = await api.settle(BOB, EXCHANGE, BOB_MC, key="settle-crashed-1")
    assert response.status_code == 200
    with engine.begin() as conn:
        keys = conn.scalars(select(Charge.idempotency_key).where(Charge.outcome == "succeeded")).all()
    assert keys.count("settle-crashed-1") == 1
