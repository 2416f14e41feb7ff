"""Agent console sign-in rate limiting: per account (e-mail, normalised) and per client address, on the
web service's database so every replica shares the count, with the clock injected.

Defaults (web/settings.py): 5 failures per account or 20 per address within 15 minutes lock that key for
15 minutes. A locked sign-in answers 429 with Retry-After and a sentence saying when to try again, without
checking the password, and answers the same whether or not the account exists.

The web app runs in-process on a throwaway SQLite database (and PostgreSQL, when reachable, for the
replicas and concurrency cases); the clock is fixed at 2026-11-29 12:00 UTC and advanced explicitly.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import create_engine, func, select, text

import web.handoff.agents as agents_module
from tests.web.web_support import AGENT_PASSWORD, Clock, web_database, web_settings
from web import seed
from web.app import create_app
from web.db import make_engine
from web.handoff.throttle import SigninFailures, SigninLimits, SigninThrottle
from web.seed import DEMO_AGENTS

PASSWORD = AGENT_PASSWORD
AGENT1, AGENT2 = DEMO_AGENTS[0].email, DEMO_AGENTS[1].email
NOBODY = "nobody@support.example"
HERE, ELSEWHERE = "198.51.100.7", "203.0.113.9"
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
WRONG_ANSWER = "Unknown e-mail or wrong password."


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def database(tmp_path: Path) -> str:
    return web_database(tmp_path / "web.db")


@pytest.fixture
def app(database: str, clock: Clock) -> FastAPI:
    # Sign-in never calls billing (web_settings: nothing listens there).
    return create_app(web_settings(WEB_DATABASE_URL=database), clock=clock)


@pytest.fixture
async def here(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client(app, HERE) as web:
        yield web


@pytest.fixture
async def elsewhere(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client(app, ELSEWHERE) as web:
        yield web


def client(app: FastAPI, address: str) -> httpx.AsyncClient:
    """A browser at `address` (what the server sees as the client's address)."""
    transport = httpx.ASGITransport(app=app, client=(address, 50123))
    return httpx.AsyncClient(transport=transport, base_url="http://portal.test")


async def sign_in(web: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await web.post("/console/signin", data={"email": email, "password": password})


async def fail(web: httpx.AsyncClient, email: str, times: int) -> list[httpx.Response]:
    return [await sign_in(web, email, f"wrong-guess-{n}") for n in range(times)]


def signed_in(response: httpx.Response) -> bool:
    return response.status_code == 303 and "console_session" in response.cookies


def answer(response: httpx.Response) -> tuple[int, str | None, str]:
    """What a caller can observe: status, Retry-After, the page."""
    return response.status_code, response.headers.get("retry-after"), response.text


# ------------------------------------------------------------------------------ the account rule


async def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(
    here: httpx.AsyncClient,
) -> None:
    wrong = await fail(here, AGENT1, 5)
    assert [r.status_code for r in wrong] == [401] * 5
    assert all(WRONG_ANSWER in r.text and "console_session" not in r.cookies for r in wrong)
    assert "Too many" not in wrong[3].text
    assert "paused" in wrong[4].text and "12:15 UTC" in wrong[4].text  # the 5th says what just happened

    locked = await sign_in(here, AGENT1, PASSWORD)
    assert locked.status_code == 429 and "console_session" not in locked.cookies
    assert locked.headers["retry-after"] == "900"
    assert locked.headers["content-type"].startswith("text/html")
    assert '<p class="problem" role="alert">' in locked.text  # the sign-in page, with the message
    assert "Too many failed sign-in attempts" in locked.text
    assert "try again in 15 minutes (after 12:15 UTC)" in locked.text
    assert '<form method="post" action="/console/signin">' in locked.text


async def test_the_lock_counts_down_and_ends_after_the_lock_period(
    here: httpx.AsyncClient, clock: Clock
) -> None:
    await fail(here, AGENT1, 5)
    clock.advance(minutes=10)
    later = await sign_in(here, AGENT1, PASSWORD)
    assert (later.status_code, later.headers["retry-after"]) == (429, "300")
    assert "try again in 5 minutes (after 12:15 UTC)" in later.text
    clock.advance(minutes=4, seconds=59)
    last_second = await sign_in(here, AGENT1, PASSWORD)
    assert (last_second.status_code, last_second.headers["retry-after"]) == (429, "1")
    assert "try again in 1 minute (after 12:15 UTC)" in last_second.text
    clock.advance(seconds=1)
    assert signed_in(await sign_in(here, AGENT1, PASSWORD))


async def test_after_the_lock_the_count_starts_afresh(here: httpx.AsyncClient, clock: Clock) -> None:
    await fail(here, AGENT1, 5)
    clock.advance(minutes=15)
    assert [r.status_code for r in await fail(here, AGENT1, 4)] == [401] * 4
    assert signed_in(await sign_in(here, AGENT1, PASSWORD))


async def test_a_successful_sign_in_clears_the_accounts_failures(here: httpx.AsyncClient) -> None:
    assert [r.status_code for r in await fail(here, AGENT1, 4)] == [401] * 4
    assert signed_in(await sign_in(here, AGENT1, PASSWORD))
    # Without the reset, the next failure would be the fifth in the window and lock the account.
    again = await fail(here, AGENT1, 4)
    assert [r.status_code for r in again] == [401] * 4 and "paused" not in again[-1].text
    assert signed_in(await sign_in(here, AGENT1, PASSWORD))


async def test_failures_spread_over_more_than_the_window_do_not_lock(
    here: httpx.AsyncClient, clock: Clock
) -> None:
    await fail(here, AGENT1, 4)
    clock.advance(minutes=15)
    await fail(here, AGENT1, 4)
    assert signed_in(await sign_in(here, AGENT1, PASSWORD))


async def test_the_account_is_the_normalised_email(here: httpx.AsyncClient) -> None:
    for email in ("Agent1@Support.Example", " agent1@support.example ", "AGENT1@SUPPORT.EXAMPLE"):
        await fail(here, email, 1)
    await fail(here, AGENT1, 2)
    assert (await sign_in(here, AGENT1, PASSWORD)).status_code == 429


async def test_the_account_lock_holds_from_every_address(
    here: httpx.AsyncClient, elsewhere: httpx.AsyncClient
) -> None:
    await fail(here, AGENT1, 5)
    assert (await sign_in(elsewhere, AGENT1, PASSWORD)).status_code == 429
    assert signed_in(await sign_in(elsewhere, AGENT2, PASSWORD))  # only that account is locked


# ------------------------------------------------------------------------------ no account enumeration


async def test_an_unknown_account_locks_the_same_way_and_answers_identically(
    here: httpx.AsyncClient, elsewhere: httpx.AsyncClient
) -> None:
    known = [*await fail(here, AGENT1, 5), await sign_in(here, AGENT1, PASSWORD)]
    unknown = [*await fail(elsewhere, NOBODY, 5), await sign_in(elsewhere, NOBODY, PASSWORD)]
    assert [r.status_code for r in unknown] == [401] * 5 + [429]
    assert [answer(r) for r in known] == [answer(r) for r in unknown]
    assert unknown[-1].headers["retry-after"] == "900"


async def test_unknown_and_known_accounts_cost_the_same_password_work(
    here: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Timing: a wrong password for a known account and any password for an unknown one each run the
    key derivation exactly once, so response times do not tell them apart."""
    calls: list[int] = []
    real = hashlib.scrypt

    def counting(*args: Any, **kwargs: Any) -> bytes:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    await sign_in(here, AGENT1, "wrong-guess")
    known = len(calls)
    calls.clear()
    await sign_in(here, NOBODY, "wrong-guess")
    assert len(calls) == known == 1


# ------------------------------------------------------------------------------ the address rule


async def test_a_different_account_from_the_same_address_is_limited_by_the_address_rule(
    here: httpx.AsyncClient, elsewhere: httpx.AsyncClient
) -> None:
    # 20 failures from one address, never 5 on one account: password spraying.
    sprayed = [f"guess{n}@support.example" for n in range(4)] + [AGENT1]
    answers = [r for email in sprayed for r in await fail(here, email, 4)]
    assert [r.status_code for r in answers] == [401] * 20
    assert "paused" in answers[-1].text and "paused" not in answers[-2].text

    refused = await sign_in(here, AGENT2, PASSWORD)  # an account never tried, the right password
    assert refused.status_code == 429 and refused.headers["retry-after"] == "900"
    assert "Too many failed sign-in attempts" in refused.text
    assert signed_in(await sign_in(elsewhere, AGENT2, PASSWORD))  # the account itself is fine


async def test_successful_sign_ins_do_not_use_up_the_addresss_allowance(here: httpx.AsyncClient) -> None:
    """An office behind one address: many good sign-ins and a few typos stay under the limit."""
    for _ in range(25):
        assert signed_in(await sign_in(here, AGENT1, PASSWORD))
    for email in (AGENT1, AGENT2, NOBODY, "typo@support.example"):
        await fail(here, email, 4)  # 16 failures
    assert signed_in(await sign_in(here, AGENT2, PASSWORD))


async def test_ipv6_clients_are_limited_per_64_prefix(app: FastAPI) -> None:
    for host in range(4):
        async with client(app, f"2001:db8:1:2::{host + 1}") as web:
            for n in range(5):
                await fail(web, f"guess{n}@support.example", 1)  # 5 addresses x 4 = 20 failures
    async with client(app, "2001:db8:1:2:ffff::1") as web:
        assert (await sign_in(web, AGENT2, PASSWORD)).status_code == 429
    async with client(app, "2001:db8:1:3::1") as web:
        assert signed_in(await sign_in(web, AGENT2, PASSWORD))


# ------------------------------------------------------------------------------ guessing cannot continue


async def test_the_password_is_not_checked_while_locked(
    here: httpx.AsyncClient, elsewhere: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[str] = []
    real = agents_module.password_matches

    def spy(password: str, stored: str) -> bool:
        checks.append(password)
        return real(password, stored)

    monkeypatch.setattr(agents_module, "password_matches", spy)
    await fail(here, AGENT1, 5)
    await fail(elsewhere, NOBODY, 5)
    assert len(checks) == 10
    checks.clear()
    for web, email in ((here, AGENT1), (elsewhere, NOBODY), (elsewhere, AGENT1)):
        for password in ("wrong-guess", PASSWORD):
            assert (await sign_in(web, email, password)).status_code == 429
    assert checks == []


async def test_simultaneous_guesses_get_no_more_tries_than_the_limit(here: httpx.AsyncClient) -> None:
    answers = await asyncio.gather(*(sign_in(here, AGENT1, f"burst-{n}") for n in range(20)))
    assert sorted(r.status_code for r in answers) == [401] * 5 + [429] * 15


# ------------------------------------------------------------------------------ settings


async def test_the_limits_are_settings(database: str, clock: Clock) -> None:
    app = create_app(
        web_settings(
            WEB_DATABASE_URL=database,
            CONSOLE_SIGNIN_MAX_FAILURES_PER_ACCOUNT=2,
            CONSOLE_SIGNIN_MAX_FAILURES_PER_ADDRESS=50,
            CONSOLE_SIGNIN_WINDOW_SECONDS=60,
            CONSOLE_SIGNIN_LOCKOUT_SECONDS=120,
        ),
        clock=clock,
    )
    async with client(app, HERE) as web:
        await fail(web, AGENT1, 1)
        clock.advance(seconds=60)  # the 60 s window is over: forgotten
        await fail(web, AGENT1, 2)
        locked = await sign_in(web, AGENT1, PASSWORD)
        assert (locked.status_code, locked.headers["retry-after"]) == (429, "120")
        assert "try again in 2 minutes (after 12:03 UTC)" in locked.text


def test_the_defaults_and_nonsense_limits() -> None:
    limits = SigninLimits.from_settings(web_settings())
    assert (limits.per_account, limits.per_address) == (5, 20)
    assert limits.window == limits.lockout == timedelta(minutes=15)
    with pytest.raises(ValidationError):
        web_settings(CONSOLE_SIGNIN_MAX_FAILURES_PER_ACCOUNT=0)
    with pytest.raises(ValidationError):
        web_settings(CONSOLE_SIGNIN_LOCKOUT_SECONDS=0)


# ------------------------------------------------------------------------------ shared by the replicas


@pytest.fixture(params=["sqlite", "postgresql"])
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a web database the replicas share, migrated and seeded."""
    if request.param == "sqlite":
        yield web_database(tmp_path / "shared.db")
        return
    name = f"signin_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as unreachable:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL not reachable: {unreachable}")
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    seed.prepare(url, PASSWORD)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


async def test_two_replicas_share_the_limit(shared: str, clock: Clock) -> None:
    replica_a = create_app(web_settings(WEB_DATABASE_URL=shared), clock=clock)
    replica_b = create_app(web_settings(WEB_DATABASE_URL=shared), clock=clock)
    async with client(replica_a, HERE) as a, client(replica_b, ELSEWHERE) as b:
        await fail(a, AGENT1, 3)
        await fail(b, AGENT1, 2)
        assert (await sign_in(a, AGENT1, PASSWORD)).status_code == 429
        assert (await sign_in(b, AGENT1, PASSWORD)).status_code == 429
        clock.advance(minutes=15)
        assert signed_in(await sign_in(b, AGENT1, PASSWORD))


def test_simultaneous_attempts_on_every_replica_get_exactly_the_allowed_tries(
    shared: str, clock: Clock
) -> None:
    limits = SigninLimits(per_account=5, per_address=20, window=timedelta(minutes=15))
    engines = [make_engine(shared) for _ in range(4)]
    replicas = [SigninThrottle(engine, limits, clock) for engine in engines]
    start = threading.Barrier(24)

    def attempt(index: int) -> bool:
        start.wait()
        return replicas[index % 4].attempt(AGENT1, f"192.0.2.{index}").refused is None

    with ThreadPoolExecutor(24) as pool:
        allowed = list(pool.map(attempt, range(24)))
    for engine in engines:
        engine.dispose()
    assert allowed.count(True) == 5


def test_stale_counters_are_swept(database: str, clock: Clock) -> None:
    engine = make_engine(database)
    throttle = SigninThrottle(engine, SigninLimits(), clock)
    for n in range(6):
        throttle.attempt(f"guess{n}@support.example", HERE)
    clock.advance(minutes=16)
    throttle.attempt(AGENT1, ELSEWHERE)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(SigninFailures)).scalar_one() == 2
