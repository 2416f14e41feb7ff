"""The web database: its migrations make the schema the code declares (SQLite and PostgreSQL), a
database made before the migrations is taken over, the demo data is seeded once, and the portal's user
directory agrees with billing about every demo user."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Table, create_engine, inspect, text

import web.handoff.models
import web.handoff.throttle
import web.users
from security import tokens
from tests.support.stack import TEST_SECRET
from tests.web.web_support import AGENT_PASSWORD
from web import migrate, seed
from web.db import Base, make_engine, make_sessionmaker
from web.handoff.agents import Agents
from web.users import DEMO_USERS, UserDirectory

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TABLES = (web.handoff.models, web.handoff.throttle, web.users)  # Base.metadata holds all of them


@pytest.fixture(params=["sqlite", "postgresql"])
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'web.db'}"
        return
    name = f"web_migrations_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as unreachable:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL not reachable: {unreachable}")
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_migrations_make_the_schema_the_code_declares(empty: str) -> None:
    migrate.upgrade(empty)
    migrate.upgrade(empty)  # again: nothing to do
    engine = make_engine(empty)
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        engine.dispose()


def test_a_database_made_before_the_migrations_is_taken_over(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    old = [t for name, t in Base.metadata.tables.items() if name in migrate.FIRST_TABLES]
    Base.metadata.create_all(engine, tables=[t for t in old if isinstance(t, Table)])
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO agents VALUES ('agent9@support.example', 'Agent Nine', 'x')"))
    migrate.upgrade(url)
    assert "portal_users" in inspect(engine).get_table_names()
    assert Agents(engine).get("agent9@support.example") is not None  # the rows are kept
    engine.dispose()


def test_the_demo_data_is_seeded_once_and_agents_keep_their_password(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'web.db'}"
    assert seed.prepare(url, AGENT_PASSWORD)
    assert not seed.prepare(url, "another-password")
    engine = make_engine(url)
    with make_sessionmaker(engine).begin() as session:
        assert not seed.seed(session, "another-password")
    agents = Agents(engine)
    assert agents.authenticate("agent1@support.example", AGENT_PASSWORD) is not None
    assert agents.authenticate("agent1@support.example", "another-password") is None
    assert UserDirectory(engine).all() == sorted(DEMO_USERS, key=lambda u: u.user_id)
    engine.dispose()


async def test_the_portals_users_are_billings_users(billing: str) -> None:
    """The portal mints each demo user's token from its own directory: billing knows each of them, in
    the same tenant, with the same name, role and language."""
    async with httpx.AsyncClient(base_url=billing) as client:
        for user in DEMO_USERS:
            token = tokens.mint(TEST_SECRET, user.user_id, user.tenant_id, [user.role])
            me = (await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})).json()
            assert (me["user_id"], me["tenant_id"], me["display_name"], me["roles"], me["locale"]) == (
                user.user_id,
                user.tenant_id,
                user.display_name,
                [user.role],
                user.locale,
            )
