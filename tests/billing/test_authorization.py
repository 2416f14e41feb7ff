"""Every request is authorized by the billing API itself: token, tenant, billing role, card ownership."""

from __future__ import annotations

import time

import pytest
from billing_support import (
    ALICE,
    ALICE_VISA,
    BOB,
    BOB_MC,
    BUSINESS_STANDARD,
    CAROL,
    DAVE,
    DAVE_VISA,
    EXCHANGE,
    FABRIKAM_BASIC,
    card_body,
    error_code,
)

from tests.support.dates import BOB_MASTERCARD_EXPIRY, year

pytestmark = pytest.mark.usefixtures("backend")

SETTLE_HEADERS = {"Idempotency-Key": "authz-test-key-0001"}


def request_for(operation: str) -> tuple[str, str, dict | None]:
    """(method, path, json) of each operation, on Contoso's Exchange subscription and Bob's card."""
    return {
        "me": ("GET", "/v1/me", None),
        "list_subscriptions": ("GET", "/v1/subscriptions", None),
        "get_subscription": ("GET", f"/v1/subscriptions/{EXCHANGE}", None),
        "list_charges": ("GET", f"/v1/subscriptions/{EXCHANGE}/charges", None),
        "list_cards": ("GET", "/v1/payment-methods", None),
        "add_card": ("POST", "/v1/payment-methods", card_body()),
        "update_card": (
            "PATCH",
            f"/v1/payment-methods/{BOB_MC}",
            {"exp_month": 1, "exp_year": year(5), "cvc": "123"},
        ),
        "settle": ("POST", f"/v1/subscriptions/{EXCHANGE}/settle", {"payment_method_id": BOB_MC}),
    }[operation]


OPERATIONS = [
    "me",
    "list_subscriptions",
    "get_subscription",
    "list_charges",
    "list_cards",
    "add_card",
    "update_card",
    "settle",
]


async def call(client, operation: str, headers: dict[str, str]):
    method, path, body = request_for(operation)
    return await client.request(method, path, json=body, headers={**headers, **SETTLE_HEADERS})


# --- who is calling -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("no Authorization header", "missing_token"),
        ("empty bearer token", "missing_token"),
        ("signed with another secret (forged)", "invalid_token"),
        ("expired", "token_expired"),
        ("for a user nobody knows", "unknown_user"),
        ("for a known user in another tenant", "unknown_user"),
        ("not a JWT at all", "invalid_token"),
        ("Basic scheme", "invalid_token"),
        ("for another audience", "invalid_token"),
        ("from another issuer", "invalid_token"),
        ("with a role that does not exist", "invalid_token"),
    ],
)
async def test_unauthenticated_calls_are_refused_by_every_operation_and_write_nothing(
    client, token, db, case, code
):
    headers = {
        "no Authorization header": {},
        "empty bearer token": {"Authorization": "Bearer "},
        "signed with another secret (forged)": {"Authorization": f"Bearer {token(BOB, secret='f' * 48)}"},
        "expired": {"Authorization": f"Bearer {token(BOB, issued_at=time.time() - 7200, ttl_seconds=3600)}"},
        "for a user nobody knows": {
            "Authorization": f"Bearer {token('mallory@contoso.com', roles=['global_admin'])}"
        },
        "for a known user in another tenant": {"Authorization": f"Bearer {token(BOB, tenant='fabrikam')}"},
        "not a JWT at all": {"Authorization": "Bearer not-a-token"},
        "Basic scheme": {"Authorization": "Basic Ym9iOnNlY3JldA=="},
        "for another audience": {"Authorization": f"Bearer {token(BOB, audience='somewhere-else')}"},
        "from another issuer": {"Authorization": f"Bearer {token(BOB, issuer='evil-portal')}"},
        "with a role that does not exist": {"Authorization": f"Bearer {token(BOB, roles=['superuser'])}"},
    }[case]
    before = db.snapshot()

    responses = {operation: await call(client, operation, headers) for operation in OPERATIONS}

    assert {op: (r.status_code, error_code(r)) for op, r in responses.items()} == {
        op: (401, code) for op in OPERATIONS
    }
    assert all(r.json()["error"]["message"] for r in responses.values())
    assert db.snapshot() == before


async def test_a_token_that_just_expired_is_refused_as_expired(client, token):
    stale = token(BOB, issued_at=time.time() - 61, ttl_seconds=60)

    response = await client.get("/v1/me", headers={"Authorization": f"Bearer {stale}"})

    assert (response.status_code, error_code(response)) == (401, "token_expired")


# --- billing role -----------------------------------------------------------------------------------------


async def test_user_without_a_billing_role_is_refused_every_billing_operation(client, auth, db):
    billing_operations = [op for op in OPERATIONS if op != "me"]
    before = db.snapshot()

    responses = {operation: await call(client, operation, auth(CAROL)) for operation in billing_operations}

    assert {op: (r.status_code, error_code(r)) for op, r in responses.items()} == {
        op: (403, "billing_role_required") for op in billing_operations
    }
    assert db.snapshot() == before
    assert db.count("risk_events") == 0


async def test_user_without_a_billing_role_may_still_see_who_they_are(client, auth):
    response = await client.get("/v1/me", headers=auth(CAROL))

    assert response.status_code == 200
    assert response.json()["can_pay"] is False


# --- tenant isolation -------------------------------------------------------------------------------------


NEW_EXPIRY = {"exp_month": 1, "exp_year": year(4), "cvc": "123"}


def read(sub_id: str, what: str = "") -> tuple[str, str, None]:
    return ("GET", f"/v1/subscriptions/{sub_id}{what}", None)


def pay(sub_id: str, card_id: str) -> tuple[str, str, dict]:
    return ("POST", f"/v1/subscriptions/{sub_id}/settle", {"payment_method_id": card_id})


def edit(card_id: str) -> tuple[str, str, dict]:
    return ("PATCH", f"/v1/payment-methods/{card_id}", NEW_EXPIRY)


@pytest.mark.parametrize(
    ("user", "request_", "code"),
    [
        pytest.param(DAVE, read(EXCHANGE), "subscription_not_found", id="dave-reads-contoso-sub"),
        pytest.param(
            DAVE, read(EXCHANGE, "/charges"), "subscription_not_found", id="dave-reads-contoso-charges"
        ),
        pytest.param(DAVE, pay(EXCHANGE, DAVE_VISA), "subscription_not_found", id="dave-pays-contoso-sub"),
        pytest.param(
            DAVE, pay(FABRIKAM_BASIC, BOB_MC), "payment_method_not_found", id="dave-pays-with-bobs-card"
        ),
        pytest.param(DAVE, edit(ALICE_VISA), "payment_method_not_found", id="dave-edits-alices-card"),
        pytest.param(ALICE, read(FABRIKAM_BASIC), "subscription_not_found", id="alice-reads-fabrikam-sub"),
        pytest.param(
            ALICE, read(FABRIKAM_BASIC, "/charges"), "subscription_not_found", id="alice-reads-fab-charges"
        ),
        pytest.param(
            ALICE, pay(FABRIKAM_BASIC, ALICE_VISA), "subscription_not_found", id="alice-pays-fabrikam-sub"
        ),
        pytest.param(
            ALICE, pay(BUSINESS_STANDARD, DAVE_VISA), "payment_method_not_found", id="alice-pays-with-daves"
        ),
        pytest.param(ALICE, edit(DAVE_VISA), "payment_method_not_found", id="alice-edits-daves-card"),
    ],
)
async def test_other_tenants_ids_do_not_exist_for_the_caller(client, auth, db, user, request_, code):
    method, path, body = request_
    before = db.snapshot()

    response = await client.request(method, path, json=body, headers={**auth(user), **SETTLE_HEADERS})

    assert response.status_code == 404
    assert error_code(response) == code
    assert db.snapshot() == before
    assert db.count("charges") == 1  # the seeded decline only


async def test_cross_tenant_not_found_reads_like_an_unknown_id(client, auth):
    foreign = await client.get(f"/v1/subscriptions/{EXCHANGE}", headers=auth(DAVE))
    unknown = await client.get("/v1/subscriptions/sub_does_not_exist", headers=auth(DAVE))

    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json() == unknown.json()


async def test_other_tenants_cards_are_never_listed(api, client, auth):
    await api.new_card(DAVE, "5555555555554444", holder_name="Dave Wilson")

    response = await client.get("/v1/payment-methods", headers=auth(ALICE))

    assert [c["id"] for c in response.json()["payment_methods"]] == [ALICE_VISA]


# --- card ownership ---------------------------------------------------------------------------------------


@pytest.mark.date_sensitive
async def test_non_owner_cannot_change_a_card_expiry(client, auth, db):
    before = db.snapshot()

    response = await client.patch(
        f"/v1/payment-methods/{BOB_MC}",
        json={"exp_month": 1, "exp_year": year(5), "cvc": "123"},
        headers=auth(ALICE),
    )

    assert response.status_code == 403
    assert error_code(response) == "not_card_owner"
    assert db.snapshot() == before
    assert (db.card(BOB_MC)["exp_month"], db.card(BOB_MC)["exp_year"]) == BOB_MASTERCARD_EXPIRY


@pytest.mark.parametrize("sub_id", [EXCHANGE, BUSINESS_STANDARD])
async def test_non_owner_cannot_pay_with_a_card_they_did_not_add(api, db, sub_id):
    before = db.snapshot()

    response = await api.settle(ALICE, sub_id, BOB_MC)

    assert response.status_code == 403
    assert error_code(response) == "not_card_owner"
    assert db.snapshot() == before


async def test_non_owner_cannot_retry_the_card_on_file(api, db):
    # Exchange's card on file is Bob's: Alice may not retry it even for that subscription.
    response = await api.settle(ALICE, EXCHANGE, BOB_MC, amount="40.00")

    assert (response.status_code, error_code(response)) == (403, "not_card_owner")
    assert db.subscription(EXCHANGE)["outstanding_cents"] == 4000
    assert db.count("charges") == 1


@pytest.mark.date_sensitive
async def test_non_owner_gets_no_card_details_in_a_refusal(client, auth):
    response = await client.patch(
        f"/v1/payment-methods/{BOB_MC}",
        json={"exp_month": 1, "exp_year": year(5), "cvc": "123"},
        headers=auth(ALICE),
    )

    assert set(response.json()) == {"error"}
    assert "4444" not in response.text and str(BOB_MASTERCARD_EXPIRY[1]) not in response.text
