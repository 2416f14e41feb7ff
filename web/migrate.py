"""Alembic migrations of the web database (web/migrations), run programmatically: `python -m web
migrate`, and by `serve` before it starts."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from web.db import make_engine

MIGRATIONS = Path(__file__).parent / "migrations"
# The tables the first revision makes: a database made before the migrations (by `create_all`) has them
# all and no `alembic_version`; it is marked as being at that revision, then upgraded.
FIRST_REVISION = "0001"
FIRST_TABLES = {"agents", "handoffs", "handoff_audit", "conversation_events", "console_signin_failures"}


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str) -> None:
    """Bring the schema at `database_url` to the newest revision."""
    config = alembic_config(database_url)
    if _made_before_migrations(database_url):
        command.stamp(config, FIRST_REVISION)
    command.upgrade(config, "head")


def _made_before_migrations(database_url: str) -> bool:
    engine = make_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    return "alembic_version" not in tables and FIRST_TABLES <= tables
