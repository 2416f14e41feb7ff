"""Card data typed in the chat is traded for single-use tokens; only their owner may use them once."""

from __future__ import annotations

import pytest
from billing_support import ALICE, ALICE_VISA, BOB, CAROL, DECLINED, VISA_OK, error_code

from tests.support.dates import year

pytestmark = pytest.mark.usefixtures("backend")


async def vault(client, auth, user, number=VISA_OK, cvc="123"):
    pan = await client.post("/v1/vault/card-numbers", json={"number": number}, headers=auth(user))
    code = await client.post("/v1/vault/security-codes", json={"cvc": cvc}, headers=auth(user))
    return pan, code


def by_tokens(pan, code, **overrides):
    return {
        "card_number_token": pan.json()["token"],
        "security_code_token": code.json()["token"],
        "exp_month": 12,
        "exp_year": year(4),
        "holder_name": "Bob Durand",
        **overrides,
    }


async def test_a_card_number_token_shows_only_brand_and_last_four(client, auth):
    pan, code = await vault(client, auth, BOB, number="4000 0000 0000 0002")
    assert pan.status_code == 201 and code.status_code == 201
    assert (pan.json()["brand"], pan.json()["last4"], pan.json()["kind"]) == ("visa", "0002", "card_number")
    assert DECLINED not in pan.text and "123" not in code.text


async def test_tokens_add_a_card_that_behaves_like_its_number(client, auth, api):
    pan, code = await vault(client, auth, BOB, number=DECLINED)
    added = await client.post("/v1/payment-methods", json=by_tokens(pan, code), headers=auth(BOB))
    assert added.status_code == 201 and added.json()["last4"] == "0002"
    settled = await api.settle(BOB, "sub_contoso_exchange_plan1", added.json()["id"])
    assert settled.status_code == 402 and error_code(settled) == "card_declined"


async def test_a_token_is_used_once(client, auth):
    pan, code = await vault(client, auth, BOB)
    assert (
        await client.post("/v1/payment-methods", json=by_tokens(pan, code), headers=auth(BOB))
    ).status_code == 201
    again = await client.post("/v1/payment-methods", json=by_tokens(pan, code), headers=auth(BOB))
    assert again.status_code == 422 and error_code(again) == "unknown_vault_token"


async def test_another_users_token_is_unknown(client, auth):
    pan, code = await vault(client, auth, BOB)
    stolen = await client.post("/v1/payment-methods", json=by_tokens(pan, code), headers=auth(ALICE))
    assert stolen.status_code == 422 and error_code(stolen) == "unknown_vault_token"


async def test_a_token_expires_after_fifteen_minutes(client, auth, clock):
    pan, code = await vault(client, auth, BOB)
    clock.advance(16 * 60)
    late = await client.post("/v1/payment-methods", json=by_tokens(pan, code), headers=auth(BOB))
    assert late.status_code == 422 and error_code(late) == "vault_token_expired"


@pytest.mark.parametrize(
    ("number", "code"), [("4242 4242 4242 4241", "invalid_card_number"), ("12ab", "invalid_request")]
)
async def test_an_invalid_number_gets_no_token(client, auth, number, code):
    response = await client.post("/v1/vault/card-numbers", json={"number": number}, headers=auth(BOB))
    assert response.status_code == 422 and error_code(response) == code


@pytest.mark.parametrize("cvc", ["12", "12345", "abc"])
async def test_a_malformed_security_code_gets_no_token(client, auth, cvc):
    response = await client.post("/v1/vault/security-codes", json={"cvc": cvc}, headers=auth(BOB))
    assert response.status_code == 422 and error_code(response) == "invalid_cvc"


@pytest.mark.date_sensitive
async def test_the_expiry_change_accepts_a_security_code_token(client, auth):
    _, code = await vault(client, auth, ALICE)
    response = await client.patch(
        f"/v1/payment-methods/{ALICE_VISA}",
        headers=auth(ALICE),
        json={"exp_month": 12, "exp_year": year(1), "security_code_token": code.json()["token"]},
    )
    assert response.status_code == 200 and response.json()["exp_year"] == year(1)


async def test_users_without_billing_role_cannot_vault(client, auth):
    pan, code = await vault(client, auth, CAROL)
    assert pan.status_code == code.status_code == 403
