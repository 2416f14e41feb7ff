"""Card numbers and security codes are checked, then forgotten: not in any table, file or log line."""

from __future__ import annotations

import logging
import re

import pytest
from billing_support import (
    ALICE,
    ALICE_VISA,
    ALL_TEST_CARDS,
    AMEX,
    BOB,
    DECLINED,
    EXCHANGE,
    INSUFFICIENT_FUNDS,
    VISA_OK,
)

from tests.support.dates import year

CVC = "123"
AMEX_CVC = "4567"
REFUSED_PAN = "4242424242424241"  # fails the Luhn check
REFUSED_CVC = "98765"
LOGGERS = ("billing", "uvicorn", "sqlalchemy")


@pytest.fixture(autouse=True)
def debug_log(caplog):
    """Capture every log line at DEBUG, switched on before the app (and its engine) exist."""
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def spaced(pan: str) -> str:
    return " ".join(pan[i : i + 4] for i in range(0, len(pan), 4))


def found_pans(text: str) -> set[str]:
    squeezed = re.sub(r"[\s-]", "", text)
    return {pan for pan in [*ALL_TEST_CARDS, REFUSED_PAN] if pan in text or pan in squeezed}


def found_codes(text: str) -> set[str]:
    """Security codes standing on their own (not a piece of a longer number or token)."""
    return {
        code
        for code in (CVC, AMEX_CVC, REFUSED_CVC)
        if re.search(rf"(?<![0-9A-Za-z]){code}(?![0-9A-Za-z])", text)
    }


async def add_every_test_card_and_use_them(api, client, auth) -> None:
    for n, pan in enumerate(ALL_TEST_CARDS):
        typed = spaced(pan) if n % 2 else pan
        cvc = AMEX_CVC if pan == AMEX else CVC
        response = await api.add_card(BOB, typed, cvc=cvc)
        assert response.status_code == 201, response.text
    refused = await api.add_card(BOB, REFUSED_PAN, cvc=REFUSED_CVC)
    assert refused.status_code == 422
    refused_type = await client.post(
        "/v1/payment-methods",
        json={"number": VISA_OK, "exp_month": "12", "exp_year": year(4), "cvc": CVC, "holder_name": "B"},
        headers=auth(BOB),
    )
    assert refused_type.status_code == 422
    patched = await client.patch(
        f"/v1/payment-methods/{ALICE_VISA}",
        json={"exp_month": 1, "exp_year": year(4), "cvc": CVC},
        headers=auth(ALICE),
    )
    assert patched.status_code == 200
    cards = {
        c["last4"]: c["id"]
        for c in (await client.get("/v1/payment-methods", headers=auth(BOB))).json()["payment_methods"]
    }
    assert (await api.settle(BOB, EXCHANGE, cards[DECLINED[-4:]])).status_code == 402
    assert (await api.settle(BOB, EXCHANGE, cards[INSUFFICIENT_FUNDS[-4:]])).status_code == 402
    assert (await api.settle(BOB, EXCHANGE, cards[VISA_OK[-4:]])).status_code == 200
    # The chat channel's way in: the digits become single-use vault tokens.
    number = await client.post(
        "/v1/vault/card-numbers", json={"number": spaced(VISA_OK)}, headers=auth(ALICE)
    )
    code = await client.post("/v1/vault/security-codes", json={"cvc": CVC}, headers=auth(ALICE))
    assert number.status_code == code.status_code == 201
    added = await client.post(
        "/v1/payment-methods",
        json={
            "card_number_token": number.json()["token"],
            "security_code_token": code.json()["token"],
            "exp_month": 12,
            "exp_year": year(5),
            "holder_name": "Alice Martin",
        },
        headers=auth(ALICE),
    )
    assert added.status_code == 201, added.text


@pytest.mark.usefixtures("backend")
async def test_no_card_number_or_security_code_in_the_database(api, client, auth, db):
    await add_every_test_card_and_use_them(api, client, auth)

    dump = db.dump()

    assert "payment_methods: " in dump and "charges: " in dump  # the dump did read the tables
    assert db.count("payment_methods", owner_user_id=BOB) == len(ALL_TEST_CARDS) + 1
    assert found_pans(dump) == set()
    assert "4242424242424242" not in dump
    assert found_codes(dump) == set()


@pytest.mark.usefixtures("backend")
async def test_no_card_number_or_security_code_in_the_service_log(api, client, auth, debug_log):
    await add_every_test_card_and_use_them(api, client, auth)

    log = debug_log.text + "\n".join(record.getMessage() for record in debug_log.records)

    assert any(r.name.startswith("sqlalchemy") for r in debug_log.records)  # the log was captured
    assert "INSERT INTO payment_methods" in log
    assert found_pans(log) == set()
    assert "4242424242424242" not in log
    assert found_codes(log) == set()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_no_card_number_or_security_code_in_the_sqlite_files(api, client, auth, backend, app):
    await add_every_test_card_and_use_them(api, client, auth)
    app.state.engine.dispose()

    files = sorted(backend.sqlite_path.parent.glob(backend.sqlite_path.name + "*"))
    raw = b"".join(path.read_bytes() for path in files)
    text = raw.decode("latin-1")

    assert b"Bob Durand" in raw  # the data is in these files
    assert found_pans(text) == set()
    assert b"4242424242424242" not in raw
    assert found_codes(text) == set()


async def test_the_checks_do_find_card_data_when_it_is_there():
    # The searches above would see a leak in any of the forms they look for.
    assert found_pans("number=4242 4242 4242 4242") == {VISA_OK}
    assert found_pans("x 5555-5555-5555-4444 y") == {"5555555555554444"}
    assert found_codes("cvc: '123'") == {CVC}
    assert found_codes("tok_a123b RCPT-0123 4567x") == set()
