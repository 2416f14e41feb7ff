"""What the billing settle bench (bench/billing_settle.py) runs against: a throwaway database and the
real billing service on it.

The database is SQLite in a temporary directory or a new PostgreSQL database (dropped WITH (FORCE)
afterwards), migrated and seeded with the demo data plus past-due subscriptions paid by Bob's card;
the service is `python -m billing serve` on a free loopback port, run outside the project root so the
developer's `.env` is not read, and stopped however the bench ends."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from billing import migrate, seed
from billing.clock import utcnow
from billing.db import make_engine, make_sessionmaker
from billing.models import Charge, Subscription

ROOT = Path(__file__).resolve().parents[1]
SVC_PYTHON = ROOT / ".venv-svc" / "bin" / "python"
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TENANT, CARD = "contoso", "pm_bob_mc_4444"
OUTSTANDING_CENTS = 1234


def postgres_unreachable() -> str | None:
    """Why the PostgreSQL server cannot be used, or None when it answers."""
    admin = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as error:
        where = make_url(PG_ADMIN_URL)
        detail = " ".join(str(error.orig).split())
        return f"unreachable at {where.host}:{where.port} ({type(error.orig).__name__}: {detail})"
    finally:
        admin.dispose()
    return None


@contextmanager
def postgresql_database() -> Iterator[str]:
    """A new database `bench_<hex>`, dropped WITH (FORCE) afterwards; yields its URL."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    name = "bench_" + secrets.token_hex(6)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def database(backend: str, workdir: Path) -> Iterator[str]:
    """A throwaway database of `backend`; yields its URL."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'billing.db'}"
        return
    with postgresql_database() as url:
        yield url


def prepare(url: str, extra: int) -> list[str]:
    """Migrate, seed the demo data and add `extra` past-due subscriptions paid by Bob's card; their ids."""
    migrate.upgrade(url)
    ids = [f"sub_bench_{i:05d}" for i in range(extra)]
    now = utcnow()
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine).begin() as session:
            seed.seed(session, now)
            session.add_all(_past_due(sid, now - timedelta(days=1)) for sid in ids)
    finally:
        engine.dispose()
    return ids


def _past_due(subscription_id: str, failed_at: datetime) -> Subscription:
    return Subscription(
        id=subscription_id,
        tenant_id=TENANT,
        product=f"Bench product {subscription_id}",
        licences=1,
        state="past_due",
        outstanding_cents=OUTSTANDING_CENTS,
        currency="EUR",
        payment_method_id=CARD,
        past_due_reason="insufficient_funds",
        last_failed_at=failed_at,
    )


def succeeded_charges(url: str) -> int:
    """How many charges in the database succeeded."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            query = select(func.count()).select_from(Charge).where(Charge.outcome == "succeeded")
            return int(conn.scalar(query) or 0)
    finally:
        engine.dispose()


# --- the service ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_service(url: str, secret: str, workdir: Path) -> Iterator[str]:
    """`python -m billing serve` on `url`, on a free loopback port; yields its base URL."""
    port = free_port()
    python = str(SVC_PYTHON) if SVC_PYTHON.exists() else sys.executable
    # Run outside the project root so the developer's `.env` is not read; the package comes from PYTHONPATH.
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "DATABASE_URL": url, "AUTH_TOKEN_SECRET": secret, "PYTHONPATH": path}
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [python, "-m", "billing", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, process, log_path)
        yield base
    finally:
        stop(process)


def wait_healthy(base: str, process: subprocess.Popen[bytes], log_path: Path, timeout: float = 60.0) -> None:
    """Return once GET /health answers 200; raise if the process exits or the time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the service exited with {process.returncode}:\n{_tail(log_path)}")
        try:
            if httpx.get(base + "/health", timeout=1.0, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the service did not answer /health within {timeout:.0f}s:\n{_tail(log_path)}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (uvicorn shuts down gracefully), then SIGKILL if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
