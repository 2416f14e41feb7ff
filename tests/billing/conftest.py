"""The billing app on a real database (SQLite file, PostgreSQL database), seeded with the demo data.

Seams: the database URL, the settings, the clock and an in-process HTTP client. Nothing of ours is mocked.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from billing_support import BOB, ROLE_OF, SECRET, TENANT_OF, TODAY, Clock, card_body
from fastapi import FastAPI
from sqlalchemy import Engine, create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from billing import migrate, seed
from billing.app import create_app
from billing.db import make_engine, make_sessionmaker
from billing.models import Base
from billing.settings import Settings
from security import tokens

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TABLES = Base.metadata.tables
# The tables a refused request must leave exactly as they were.
WRITE_TABLES = ("payment_methods", "charges", "subscriptions", "audit_log", "idempotency_records")


@dataclass(frozen=True)
class Backend:
    name: str
    url: str
    sqlite_path: Path | None = None


@pytest.fixture
def clock() -> Clock:
    return Clock(TODAY)


_POSTGRES_SKIPPED: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say it loudly when the PostgreSQL half of the suite did not run."""
    for reason in _POSTGRES_SKIPPED:
        terminalreporter.write_line(f"PostgreSQL billing tests SKIPPED: {reason}", yellow=True, bold=True)


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    """An AUTOCOMMIT connection pool on the server's `postgres` database (to create/drop databases)."""
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as error:
        engine.dispose()
        where = make_url(PG_ADMIN_URL)
        reason = f"PostgreSQL is unreachable at {where.host}:{where.port} ({type(error.orig).__name__})"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + ": CI must run the PostgreSQL tests", pytrace=False)
        _POSTGRES_SKIPPED.append(reason)
        pytest.skip(reason)
    yield engine
    engine.dispose()


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A fresh database for one test, migrated, holding the demo data."""
    with _fresh_database(request, tmp_path) as found:
        yield found


@pytest.fixture(scope="module", params=BACKENDS)
def module_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    """One fresh database for a whole module: only for tests that write nothing, and assert so."""
    with _fresh_database(request, tmp_path_factory.mktemp("billing")) as found:
        yield found


@contextmanager
def _fresh_database(request: pytest.FixtureRequest, directory: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        path = directory / "billing.db"
        found = Backend("sqlite", f"sqlite:///{path}", path)
        _prepare(found.url)
        yield found
        return

    admin: Engine = request.getfixturevalue("pg_admin")
    name = "billing_test_" + secrets.token_hex(6)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        found = Backend("postgresql", make_url(PG_ADMIN_URL).set(database=name).render_as_string())
        _prepare(found.url)
        yield found
    finally:  # the fixtures using the database (app, engine) are torn down already
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _prepare(url: str) -> None:
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine).begin() as session:
            assert seed.seed(session, TODAY)
    finally:
        engine.dispose()


@pytest.fixture
def settings(backend: Backend) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        DATABASE_URL=backend.url,
        AUTH_TOKEN_SECRET=SECRET,
        AUTH_TOKEN_ISSUER="m365-portal",
        AUTH_TOKEN_AUDIENCE="m365-billing",
        PORTAL_ORIGIN="http://portal.test",
        GUARD_MAX_FAILURES=5,
        GUARD_WINDOW_SECONDS=600,
        IDEMPOTENCY_WAIT_SECONDS=20.0,
        MAX_BODY_BYTES=16_384,
    )


@pytest.fixture
def app(settings: Settings, clock: Clock) -> Iterator[FastAPI]:
    application = create_app(settings, clock=clock)
    yield application
    application.state.engine.dispose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://billing", timeout=60) as http:
        yield http


@pytest.fixture
def token() -> Callable[..., str]:
    """A signed user token for a seeded user (claims overridable)."""

    def mint(
        user: str,
        *,
        secret: str = SECRET,
        tenant: str | None = None,
        roles: list[str] | None = None,
        ttl_seconds: int = 3600,
        issued_at: float | None = None,
        **claims: Any,
    ) -> str:
        return tokens.mint(
            secret,
            user,
            tenant if tenant is not None else TENANT_OF.get(user, "contoso"),
            roles if roles is not None else [ROLE_OF.get(user, "user")],
            ttl_seconds=ttl_seconds,
            now=issued_at if issued_at is not None else time.time(),
            **claims,
        )

    return mint


@pytest.fixture
def auth(token: Callable[..., str]) -> Callable[..., dict[str, str]]:
    """The Authorization header of a seeded user."""

    def headers(user: str, **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(user, **claims)}"}

    return headers


class Db:
    """Direct reads of the store, for assertions on state (never through the API)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def rows(self, table: str, order_by: tuple[str, ...] = (), **equals: Any) -> list[dict[str, Any]]:
        """Rows of `table` whose columns equal `equals`, typed as the models declare them."""
        t = TABLES[table]
        query = select(t).where(*(t.c[name] == value for name, value in equals.items()))
        query = query.order_by(*(t.c[name] for name in order_by), *t.primary_key.columns)
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def one(self, table: str, **equals: Any) -> dict[str, Any]:
        found = self.rows(table, **equals)
        assert len(found) == 1, found
        return found[0]

    def count(self, table: str, **equals: Any) -> int:
        t = TABLES[table]
        query = select(func.count()).select_from(t).where(*(t.c[k] == v for k, v in equals.items()))
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def subscription(self, sub_id: str) -> dict[str, Any]:
        return self.one("subscriptions", id=sub_id)

    def card(self, card_id: str) -> dict[str, Any]:
        return self.one("payment_methods", id=card_id)

    def charges(self, **equals: Any) -> list[dict[str, Any]]:
        return self.rows("charges", order_by=("created_at",), **equals)

    def audit(self, action: str | None = None) -> list[dict[str, Any]]:
        """Audit entries, oldest first."""
        return self.rows("audit_log", **({"action": action} if action else {}))

    def snapshot(self, tables: tuple[str, ...] = WRITE_TABLES) -> dict[str, list[str]]:
        """Every row of `tables`, as sortable text: equal snapshots mean nothing was written."""
        return {table: sorted(repr(sorted(row.items())) for row in self.rows(table)) for table in tables}

    def dump(self) -> str:
        """Every column of every row of every table in the database, as text."""
        parts = []
        with self.engine.connect() as conn:
            for table in inspect(conn).get_table_names():
                for row in conn.execute(text(f'SELECT * FROM "{table}"')).mappings():
                    parts.append(f"{table}: " + " | ".join(f"{k}={v!s}" for k, v in row.items()))
        return "\n".join(parts)


@pytest.fixture
def engine(backend: Backend) -> Iterator[Engine]:
    """The tests' own connection pool on the app's database: to read state and probe the database itself."""
    own = make_engine(backend.url)
    yield own
    own.dispose()


@pytest.fixture
def db(engine: Engine) -> Db:
    return Db(engine)


class Api:
    """The calls the tests make most, spelled once."""

    def __init__(self, client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]):
        self.client = client
        self.auth = auth

    async def add_card(
        self, user: str = BOB, number: str = "4242424242424242", **body: Any
    ) -> httpx.Response:
        return await self.client.post(
            "/v1/payment-methods", json=card_body(number, **body), headers=self.auth(user)
        )

    async def new_card(self, user: str = BOB, number: str = "4242424242424242", **body: Any) -> str:
        response = await self.add_card(user, number, **body)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def settle(
        self, user: str, sub_id: str, card_id: str, key: str | None = None, **body: Any
    ) -> httpx.Response:
        headers = self.auth(user)
        headers["Idempotency-Key"] = key or "settle-" + secrets.token_hex(8)
        return await self.client.post(
            f"/v1/subscriptions/{sub_id}/settle",
            json={"payment_method_id": card_id, **body},
            headers=headers,
        )


@pytest.fixture
def api(client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]) -> Api:
    return Api(client, auth)
