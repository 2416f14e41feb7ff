"""The tests' date: one switch, `TEST_TODAY=YYYY-MM-DD` (default: the system's date when the run starts).

Every process the tests start gets it as its clock option (`python -m billing serve --today`,
`python -m actions.server --today`); the in-process billing app and the in-process actions use it too. The
demo data is seeded relative to the clock (billing/seed.py), so what the tests expect is relative to this
date as well: the helpers below spell "December of next year" or "Dave's card expiry" on any date.
`make test` runs the tests marked `date_sensitive` once more with TEST_TODAY=2029-06-01.

Standard library only: the billing tests (Python 3.11 environment) and the Rasa-side tests (3.10) import it.
"""

from __future__ import annotations

import os
from datetime import date


def _from_environment() -> date:
    fixed = os.environ.get("TEST_TODAY", "").strip()
    return date.fromisoformat(fixed) if fixed else date.today()


TODAY: date = _from_environment()


def year(offset: int = 0) -> int:
    """TODAY's year plus `offset`."""
    return TODAY.year + offset


def yy(offset: int = 0) -> str:
    """The two-digit form of `year(offset)`: "27" for next year in 2026."""
    return f"{year(offset) % 100:02d}"


def months_from_now(months: int) -> tuple[int, int]:
    """(month, year) `months` after TODAY's month (before it when negative)."""
    index = TODAY.year * 12 + TODAY.month - 1 + months
    return index % 12 + 1, index // 12


def mm_yyyy(expiry: tuple[int, int]) -> str:
    """(12, 2027) as the assistant and the audit log show it: "12/2027"."""
    return f"{expiry[0]:02d}/{expiry[1]}"


# The demo cards' expiries (docs/design.md tells them on a day of December 2026: 10/2026, 08/2029, 03/2028):
# Alice's Visa expired two months ago, Bob's Mastercard expires in 32 months, Dave's Visa in 15.
ALICE_VISA_EXPIRY = months_from_now(-2)
BOB_MASTERCARD_EXPIRY = months_from_now(32)
DAVE_VISA_EXPIRY = months_from_now(15)
LAST_MONTH = months_from_now(-1)
THIS_MONTH = months_from_now(0)
