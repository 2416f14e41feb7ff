"""The web database: engine, sessions and the declarative base of web's tables (the schema itself is
made by the Alembic migrations in web/migrations, `python -m web migrate`).

SQLite gets WAL, a busy timeout and write transactions that take the write lock when they begin, so two
replicas or two threads cannot both read "still requested" and then both claim; read-only sessions never
wait for a writer. PostgreSQL URLs use psycopg 3.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

READ_ONLY = "web_read_only"


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, datetime: DateTime(timezone=True)}


def make_engine(url: str) -> Engine:
    """An engine for `url` (`sqlite:///path`, `postgresql://...`)."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_size=10, max_overflow=20, pool_pre_ping=True)

    pool: dict[str, Any] = {}
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # Connections to a file are cheap; enough of them for FastAPI's 40 worker threads.
        pool = {"pool_size": 20, "max_overflow": 30}
    engine = create_engine(parsed, connect_args={"check_same_thread": False, "timeout": 30}, **pool)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite's own transaction handling defers locks; we emit BEGIN ourselves.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A write transaction takes the write lock up front (IMMEDIATE); reads (WAL) never wait for it.
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions for transactions that write."""
    return sessionmaker(engine, expire_on_commit=False)


def make_read_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions for transactions that only read: on SQLite they never wait for a writer."""
    return sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)
