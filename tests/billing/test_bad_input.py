"""Bad input is refused with a 4xx and a specific code, before anything is written or charged.

Refusals write nothing (each test asserts it), so the tests of this module share one database per backend.
Each test's clock starts one guard window after the previous one's: failed card checks never add up to a block
(all on the same day, so expiry checks see the same "today").
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import timedelta

import pytest
from billing_support import (
    ALICE,
    ALICE_VISA,
    AMEX,
    BOB,
    BOB_MC,
    EXCHANGE,
    TODAY,
    VISA_OK,
    Clock,
    card_body,
    error_code,
)

from tests.support.dates import ALICE_VISA_EXPIRY, LAST_MONTH, months_from_now, year

pytestmark = pytest.mark.usefixtures("backend")

TEN_KB = 10 * 1024
SETTLE = f"/v1/subscriptions/{EXCHANGE}/settle"


def without(body: dict, field: str) -> dict:
    return {k: v for k, v in body.items() if k != field}


_tests_so_far: defaultdict[str, itertools.count] = defaultdict(itertools.count)


@pytest.fixture
def backend(module_backend):
    return module_backend


@pytest.fixture
def clock(backend):
    start = TODAY.replace(hour=0, minute=0) + timedelta(seconds=601) * next(_tests_so_far[backend.name])
    assert start.date() == TODAY.date()
    return Clock(start)


@pytest.fixture
def nothing_written(db):
    """Asserts, after the test, that no row of a write table changed."""
    before = db.snapshot()
    yield
    assert db.snapshot() == before


# --- adding a card ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        pytest.param(card_body("4242 4242 4242 4241"), "invalid_card_number", None, id="pan-fails-luhn"),
        pytest.param(card_body("4242 4242 abcd 4242"), "invalid_card_number", None, id="pan-with-letters"),
        pytest.param(
            card_body(exp_month=LAST_MONTH[0], exp_year=LAST_MONTH[1]),
            "expiry_in_past",
            None,
            id="expiry-last-month",
            marks=pytest.mark.date_sensitive,
        ),
        pytest.param(card_body(exp_month=13), "invalid_expiry_month", None, id="month-13"),
        pytest.param(
            card_body(exp_year=year(21)),
            "invalid_expiry_year",
            None,
            id="year-too-far",
            marks=pytest.mark.date_sensitive,
        ),
        pytest.param(card_body(cvc="12"), "invalid_cvc", None, id="cvc-2-digits"),
        pytest.param(card_body(cvc="12345"), "invalid_cvc", None, id="cvc-5-digits"),
        pytest.param(card_body(cvc="1234"), "invalid_cvc", None, id="cvc-4-digits-visa"),
        pytest.param(card_body(AMEX, cvc="123"), "invalid_cvc", None, id="cvc-3-digits-amex"),
        pytest.param(card_body(exp_month="12"), "invalid_request", "exp_month", id="month-as-string"),
        pytest.param(
            {**card_body(), "number": 4242424242424242}, "invalid_request", "number", id="pan-as-number"
        ),
        pytest.param(
            card_body(holder_name="Bob\x00Durand"), "invalid_request", "holder_name", id="holder-nul"
        ),
        pytest.param(card_body(number="4" * TEN_KB), "invalid_request", "number", id="pan-10kB"),
        pytest.param(card_body(holder_name="B" * TEN_KB), "invalid_request", "holder_name", id="holder-10kB"),
        pytest.param(card_body(save_for_later=True), "invalid_request", "save_for_later", id="extra-field"),
        pytest.param(without(card_body(), "cvc"), "invalid_request", "cvc", id="cvc-missing"),
    ],
)
async def test_add_card_refuses_bad_input(client, auth, nothing_written, body, code, field):
    response = await client.post("/v1/payment-methods", json=body, headers=auth(BOB))

    assert response.status_code == 422, response.text
    assert error_code(response) == code
    assert response.json()["error"]["message"]
    if field is not None:  # the refusal names what to fix
        assert field in response.json()["error"]["message"]


async def test_card_refusal_never_echoes_the_card_data(client, auth):
    body = card_body("4242 4242 4242 4241", cvc="98765", exp_month="x")

    response = await client.post("/v1/payment-methods", json=body, headers=auth(BOB))

    assert response.status_code == 422
    assert "4241" not in response.text and "98765" not in response.text


# --- changing an expiry -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        pytest.param(
            {"exp_month": 13, "exp_year": year(4), "cvc": "123"}, "invalid_expiry_month", id="month-13"
        ),
        pytest.param(
            {"exp_month": months_from_now(-3)[0], "exp_year": months_from_now(-3)[1], "cvc": "123"},
            "expiry_in_past",
            id="past",
        ),
        pytest.param({"exp_month": 1, "exp_year": year(4), "cvc": "12"}, "invalid_cvc", id="cvc-2-digits"),
        pytest.param({"exp_month": 1, "exp_year": year(4), "cvc": "12345"}, "invalid_cvc", id="cvc-5-digits"),
        pytest.param(
            {"exp_month": 1, "exp_year": year(4), "cvc": "1234"}, "invalid_cvc", id="cvc-4-digits-visa"
        ),
        pytest.param(
            {"exp_month": "1", "exp_year": year(4), "cvc": "123"}, "invalid_request", id="month-as-string"
        ),
        pytest.param(
            {"exp_month": 1, "exp_year": year(4), "cvc": "123", "last4": "0"}, "invalid_request", id="extra"
        ),
    ],
)
@pytest.mark.date_sensitive
async def test_expiry_update_refuses_bad_input(client, auth, db, nothing_written, body, code):
    response = await client.patch(f"/v1/payment-methods/{ALICE_VISA}", json=body, headers=auth(ALICE))

    assert response.status_code == 422, response.text
    assert error_code(response) == code
    assert (db.card(ALICE_VISA)["exp_month"], db.card(ALICE_VISA)["exp_year"]) == ALICE_VISA_EXPIRY


@pytest.mark.parametrize(
    ("card_id", "status", "code"),
    [
        ("pm_does_not_exist", 404, "payment_method_not_found"),
        ("p" * 41, 422, "invalid_request"),
    ],
)
async def test_expiry_update_of_an_unknown_card_is_refused(
    client, auth, nothing_written, card_id, status, code
):
    response = await client.patch(
        f"/v1/payment-methods/{card_id}",
        json={"exp_month": 1, "exp_year": year(4), "cvc": "123"},
        headers=auth(BOB),
    )

    assert (response.status_code, error_code(response)) == (status, code)


# --- settling ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"payment_method_id": BOB_MC, "amount": -40}, "amount", id="amount-negative"),
        pytest.param({"payment_method_id": BOB_MC, "amount": 0}, "amount", id="amount-zero"),
        pytest.param({"payment_method_id": BOB_MC, "amount": 1e12}, "amount", id="amount-huge"),
        pytest.param({"payment_method_id": BOB_MC, "amount": "9" * 400}, "amount", id="amount-400-digits"),
        pytest.param({"payment_method_id": BOB_MC, "amount": 40.001}, "amount", id="amount-3-decimals"),
        pytest.param({"payment_method_id": BOB_MC, "amount": "forty"}, "amount", id="amount-text"),
        pytest.param({"payment_method_id": BOB_MC, "amount": "NaN"}, "amount", id="amount-nan"),
        pytest.param({"payment_method_id": 4444}, "payment_method_id", id="card-id-as-number"),
        pytest.param({"payment_method_id": "p" * TEN_KB}, "payment_method_id", id="card-id-10kB"),
        pytest.param({"payment_method_id": BOB_MC, "card_number": VISA_OK}, "card_number", id="extra-field"),
    ],
)
async def test_settle_refuses_bad_input(client, auth, nothing_written, body, field):
    headers = {**auth(BOB), "Idempotency-Key": "bad-input-0001"}

    response = await client.post(SETTLE, json=body, headers=headers)

    assert response.status_code == 422, response.text
    assert error_code(response) == "invalid_request"
    assert field in response.json()["error"]["message"]


async def test_settle_refuses_an_amount_that_differs_from_the_balance(api, nothing_written):
    response = await api.settle(BOB, EXCHANGE, BOB_MC, amount="39.99")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "amount_mismatch"
    assert response.json()["error"]["outstanding"] == {"amount": "40.00", "currency": "EUR"}


@pytest.mark.parametrize(
    ("sub_id", "card_id", "status", "code"),
    [
        ("sub_does_not_exist", BOB_MC, 404, "subscription_not_found"),
        (EXCHANGE, "pm_does_not_exist", 404, "payment_method_not_found"),
        ("sub.with.dots", BOB_MC, 422, "invalid_request"),
        ("s" * 41, BOB_MC, 422, "invalid_request"),
    ],
)
async def test_settle_refuses_unknown_ids(api, nothing_written, sub_id, card_id, status, code):
    response = await api.settle(BOB, sub_id, card_id)

    assert (response.status_code, error_code(response)) == (status, code)


# --- the body itself --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "extra_headers"),
    [
        ("POST", "/v1/payment-methods", {}),
        ("PATCH", f"/v1/payment-methods/{BOB_MC}", {}),
        ("POST", SETTLE, {"Idempotency-Key": "malformed-0001"}),
    ],
)
async def test_malformed_json_is_a_400(client, auth, nothing_written, method, path, extra_headers):
    headers = {**auth(BOB), **extra_headers, "Content-Type": "application/json"}

    response = await client.request(
        method, path, content=b'{"number": "4242424242424242", "cvc": ', headers=headers
    )

    assert response.status_code == 400
    assert error_code(response) == "malformed_json"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"{'number': '4242424242424242'}", id="single-quotes"),
        pytest.param(b"\xff\xfe\x00{", id="not-utf8"),
        pytest.param(b'{"number": "4242424242424242",}', id="trailing-comma"),
    ],
)
async def test_any_body_that_is_not_json_is_a_400(client, auth, nothing_written, raw):
    headers = {**auth(BOB), "Content-Type": "application/json"}

    response = await client.post("/v1/payment-methods", content=raw, headers=headers)

    assert (response.status_code, error_code(response)) == (400, "malformed_json")


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize(
    ("path", "extra_headers"),
    [("/v1/payment-methods", {}), (SETTLE, {"Idempotency-Key": "oversize-0001"})],
    ids=["add-card", "settle"],
)
async def test_oversize_body_is_a_413(client, auth, nothing_written, path, extra_headers, chunked):
    body = b'{"holder_name": "' + b"B" * 20_000 + b'"}'  # over the 16 kB limit

    async def in_chunks():
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    headers = {**auth(BOB), **extra_headers, "Content-Type": "application/json"}
    response = await client.post(path, content=in_chunks() if chunked else body, headers=headers)

    assert response.status_code == 413
    assert error_code(response) == "payload_too_large"


async def test_a_body_just_under_the_limit_is_read(client, auth):
    body = card_body(holder_name="B" * 15_000)

    response = await client.post("/v1/payment-methods", json=body, headers=auth(BOB))

    assert response.status_code == 422  # refused for its content (too long a name), not its size
    assert "holder_name" in response.json()["error"]["message"]


async def test_unknown_routes_and_methods_are_refused(client, auth, nothing_written):
    calls = [
        ("DELETE", f"/v1/payment-methods/{BOB_MC}"),
        ("PUT", SETTLE),
        ("GET", "/v1/invoices"),
    ]

    answers = [await client.request(method, path, headers=auth(BOB)) for method, path in calls]

    assert [(r.status_code, error_code(r)) for r in answers] == [
        (405, "method_not_allowed"),
        (405, "method_not_allowed"),
        (404, "not_found"),
    ]
