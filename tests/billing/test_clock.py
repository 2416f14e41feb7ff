"""The service's clock: a fixed date from `--today` or BILLING_TODAY, and demo data seeded relative to it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone

import httpx
import pytest
from billing_support import ALICE_VISA, BOB, BOB_MC, DAVE_VISA, SECRET, card_body, error_code
from sqlalchemy import select

from billing import seed
from billing.app import create_app
from billing.clock import starting_on
from billing.db import make_engine, make_sessionmaker
from billing.models import PaymentMethod
from billing.processor import is_expired
from billing.settings import Settings
from tests.support.dates import ALICE_VISA_EXPIRY, BOB_MASTERCARD_EXPIRY, DAVE_VISA_EXPIRY, TODAY

pytestmark = pytest.mark.date_sensitive


def test_a_fixed_date_clock_starts_on_that_date_and_runs_on():
    wall = datetime(2026, 12, 4, 23, 59, 30, tzinfo=timezone.utc)
    readings = iter([wall, wall, wall + timedelta(seconds=45)])  # the first one sets the clock
    clock = starting_on(date(2029, 6, 1), wall=lambda: next(readings))

    assert clock() == datetime(2029, 6, 1, 23, 59, 30, tzinfo=timezone.utc)
    assert clock() == datetime(2029, 6, 2, 0, 0, 15, tzinfo=timezone.utc)  # no jump back at midnight


def test_the_seed_tells_the_design_story_in_its_month():
    for day in (date(2026, 12, 1), date(2026, 12, 31)):
        assert seed.card_expiries(day) == {
            ALICE_VISA: (10, 2026),
            BOB_MC: (8, 2029),
            DAVE_VISA: (3, 2028),
        }


@pytest.mark.parametrize(
    "today",
    [date(2026, 1, 31), date(2027, 12, 1), date(2028, 3, 31), date(2029, 6, 1), date(2040, 2, 29), TODAY],
)
def test_on_any_date_alices_card_has_expired_and_the_others_are_valid(today):
    expiries = seed.card_expiries(today)

    def expired(card_id: str) -> bool:
        month, year = expiries[card_id]
        return is_expired(PaymentMethod(exp_month=month, exp_year=year), today)

    assert (expired(ALICE_VISA), expired(BOB_MC), expired(DAVE_VISA)) == (True, False, False)
    months = {cid: (y - today.year) * 12 + m - today.month for cid, (m, y) in expiries.items()}
    assert months == {ALICE_VISA: -2, BOB_MC: 32, DAVE_VISA: 15}


def test_the_tests_date_is_the_one_the_demo_data_is_seeded_on(db):
    cards = {c["id"]: (c["exp_month"], c["exp_year"]) for c in db.rows("payment_methods")}

    expected = {ALICE_VISA: ALICE_VISA_EXPIRY, BOB_MC: BOB_MASTERCARD_EXPIRY, DAVE_VISA: DAVE_VISA_EXPIRY}
    assert cards == expected


@pytest.fixture
def app_on_settings_date(settings):
    """The app built without a clock: the one of `BILLING_TODAY` (here 1 June 2029)."""
    application = create_app(settings.model_copy(update={"today": date(2029, 6, 1)}))
    yield application
    application.state.engine.dispose()


async def test_billing_today_fixes_the_apps_date(app_on_settings_date, auth):
    transport = httpx.ASGITransport(app=app_on_settings_date)
    async with httpx.AsyncClient(transport=transport, base_url="http://billing") as client:
        last_month = await client.post(
            "/v1/payment-methods", json=card_body(exp_month=5, exp_year=2029), headers=auth(BOB)
        )
        this_month = await client.post(
            "/v1/payment-methods", json=card_body(exp_month=6, exp_year=2029), headers=auth(BOB)
        )

    assert (last_month.status_code, error_code(last_month)) == (422, "expiry_in_past")
    assert this_month.status_code == 201 and this_month.json()["expired"] is False


def test_billing_today_is_read_from_the_environment():
    def read(value: str) -> date | None:
        return Settings(_env_file=None, AUTH_TOKEN_SECRET=SECRET, BILLING_TODAY=value).today  # type: ignore[call-arg]

    assert read("2029-06-01") == date(2029, 6, 1)
    assert read("") is None


def run_billing(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUTH_TOKEN_SECRET": SECRET, "DATABASE_URL": database_url}
    env.pop("BILLING_TODAY", None)
    return subprocess.run(
        [sys.executable, "-m", "billing", *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_the_seed_command_seeds_relative_to_its_today_option(tmp_path):
    url = f"sqlite:///{tmp_path / 'billing.db'}"

    done = run_billing("seed", "--today", "2029-06-01", database_url=url)

    assert done.returncode == 0, done.stderr
    assert "today is 2029-06-01" in done.stderr
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        cards = {c.id: (c.exp_month, c.exp_year) for c in session.scalars(select(PaymentMethod))}
    engine.dispose()
    assert cards == {ALICE_VISA: (4, 2029), BOB_MC: (2, 2032), DAVE_VISA: (9, 2030)}


def test_a_today_option_that_is_not_a_date_is_refused(tmp_path):
    done = run_billing("serve", "--today", "01/06/2029", database_url=f"sqlite:///{tmp_path / 'b.db'}")

    assert done.returncode == 2 and "not a date (YYYY-MM-DD)" in done.stderr

