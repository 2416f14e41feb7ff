"""Demo data facts (docs/design.md) and small helpers shared by the billing tests."""

from __future__ import annotations

import threading
from datetime import datetime, time, timedelta, timezone

import httpx

from billing.clock import as_utc
from billing.seed import USERS
from tests.support import dates

# Now, for every test: 10:00 UTC on the tests' date (TEST_TODAY, else the system's date). The demo data is
# seeded relative to it: Alice's Visa 4242 expired two months ago, Bob's Mastercard and Dave's Visa are valid.
TODAY = datetime.combine(dates.TODAY, time(10, 0), timezone.utc)

SECRET = "test-secret-" + "x" * 40

ALICE = "alice@contoso.com"
BOB = "bob@contoso.com"
CAROL = "carol@contoso.com"
DAVE = "dave@fabrikam.com"
TENANT_OF = {uid: tid for uid, tid, *_ in USERS}
ROLE_OF = {uid: role for uid, _tid, _name, role, _loc in USERS}

BUSINESS_STANDARD = "sub_contoso_business_standard"
EXCHANGE = "sub_contoso_exchange_plan1"
E3 = "sub_contoso_e3"
FABRIKAM_BASIC = "sub_fabrikam_business_basic"

ALICE_VISA = "pm_alice_visa_4242"
BOB_MC = "pm_bob_mc_4444"
DAVE_VISA = "pm_dave_visa_1881"

# Public test card numbers and what the processor simulator answers for them.
VISA_OK = "4242424242424242"
MASTERCARD_OK = "5555555555554444"
DECLINED = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"
EXPIRED_CARD = "4000000000000069"
INCORRECT_CVC = "4000000000000127"
PROCESSING_ERROR = "4000000000000119"
OTHER_VALID = "4111111111111111"  # Luhn-valid, not a special test number
AMEX = "378282246310005"
ALL_TEST_CARDS = [
    VISA_OK,
    MASTERCARD_OK,
    DECLINED,
    INSUFFICIENT_FUNDS,
    EXPIRED_CARD,
    INCORRECT_CVC,
    PROCESSING_ERROR,
    OTHER_VALID,
    AMEX,
]

DECLINE_MESSAGES = {
    "card_declined": "The bank declined the card.",
    "insufficient_funds": "The card has insufficient funds.",
    "expired_card": "The card has expired.",
    "incorrect_cvc": "The security code is incorrect.",
    "processing_error": "A processing error occurred; trying again may work.",
}

RECEIPT = rf"^RCPT-{TODAY:%Y%m%d}-[0-9A-F]{{8}}$"


class Clock:
    """The service's clock, moved by the test. It notes which threads read it, to show requests overlapped."""

    def __init__(self, start: datetime):
        self.now = start
        self.threads: set[int] = set()

    def __call__(self) -> datetime:
        self.threads.add(threading.get_ident())
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def card_body(number: str = VISA_OK, **overrides: object) -> dict[str, object]:
    """A valid 'add a card' body (valid today), with `overrides` applied."""
    body: dict[str, object] = {
        "number": number,
        "exp_month": 12,
        "exp_year": dates.year(4),
        "cvc": "4567" if number.replace(" ", "").startswith(("34", "37")) else "123",
        "holder_name": "Bob Durand",
    }
    body.update(overrides)
    return body


def error_code(response: httpx.Response) -> str:
    """The stable refusal code of an error response."""
    return str(response.json()["error"]["code"])


def at(value: datetime) -> datetime:
    """A stored timestamp as an aware UTC datetime (SQLite hands back naive UTC)."""
    return as_utc(value)
