"""Card-testing guard: after 5 failed card attempts within 10 minutes, card attempts wait for the window."""

from __future__ import annotations

import pytest
from billing_support import ALICE, BOB, DECLINED, EXCHANGE, MASTERCARD_OK, VISA_OK, error_code

from tests.support.dates import year

pytestmark = pytest.mark.usefixtures("backend")

BAD_NUMBER = "4242 4242 4242 4241"  # fails the Luhn check


async def fail_five_additions(api, clock, user=BOB) -> None:
    for _ in range(5):
        response = await api.add_card(user, BAD_NUMBER)
        assert (response.status_code, error_code(response)) == (422, "invalid_card_number")
        clock.advance(1)


async def test_sixth_attempt_after_five_failures_is_refused_with_retry_after(api, clock, db):
    await fail_five_additions(api, clock)  # at t0 .. t0+4s; now t0+5s
    before = db.snapshot()

    response = await api.add_card(BOB, VISA_OK)  # a perfectly valid card

    assert response.status_code == 429
    assert error_code(response) == "too_many_attempts"
    assert response.json()["error"]["retry_after_seconds"] == 595
    assert response.headers["Retry-After"] == "595"
    assert db.snapshot() == before


async def test_four_failures_do_not_block(api, clock):
    for _ in range(4):
        await api.add_card(BOB, BAD_NUMBER)
        clock.advance(1)

    response = await api.add_card(BOB, VISA_OK)

    assert response.status_code == 201


async def test_refusals_while_blocked_do_not_extend_the_block(api, clock):
    await fail_five_additions(api, clock)
    for _ in range(3):
        assert (await api.add_card(BOB, BAD_NUMBER)).status_code == 429
        clock.advance(1)

    response = await api.add_card(BOB, VISA_OK)

    assert response.headers["Retry-After"] == "592"  # still counted from the first failure


async def test_block_lifts_once_the_window_has_passed(api, clock, db):
    await fail_five_additions(api, clock)  # now t0+5s
    clock.advance(594.5)  # t0+599.5s: the oldest failure is still inside the window
    still_blocked = await api.add_card(BOB, VISA_OK)
    clock.advance(0.5)  # t0+600s: it has left the window

    response = await api.add_card(BOB, VISA_OK)

    assert (still_blocked.status_code, still_blocked.headers["Retry-After"]) == (429, "1")
    assert response.status_code == 201
    assert db.count("payment_methods", owner_user_id=BOB) == 2


async def test_block_applies_to_expiry_updates_and_payments_too(api, client, auth, clock, db):
    card_id = await api.new_card(BOB, MASTERCARD_OK)
    await fail_five_additions(api, clock)
    before = db.snapshot()

    patched = await client.patch(
        f"/v1/payment-methods/{card_id}",
        json={"exp_month": 1, "exp_year": year(5), "cvc": "123"},
        headers=auth(BOB),
    )
    paid = await api.settle(BOB, EXCHANGE, card_id)

    assert (patched.status_code, error_code(patched)) == (429, "too_many_attempts")
    assert (paid.status_code, error_code(paid)) == (429, "too_many_attempts")
    assert db.snapshot() == before


async def test_block_is_per_user(api, clock):
    await fail_five_additions(api, clock, user=BOB)

    response = await api.add_card(ALICE, VISA_OK, holder_name="Alice Martin")

    assert response.status_code == 201


async def test_five_declined_payments_also_block_further_attempts(api, clock, db):
    card_id = await api.new_card(BOB, DECLINED)
    for _ in range(5):
        assert (await api.settle(BOB, EXCHANGE, card_id)).status_code == 402
        clock.advance(1)

    response = await api.settle(BOB, EXCHANGE, card_id)

    assert (response.status_code, error_code(response)) == (429, "too_many_attempts")
    assert len(db.charges(payment_method_id=card_id)) == 5
