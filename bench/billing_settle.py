"""Settle throughput and latency of the real billing service, on SQLite and on PostgreSQL.

Run from the project root:

    .venv-svc/bin/python -m bench.billing_settle [--requests-scale 1.0] [--backends sqlite,postgresql]

For each backend: a throwaway database (migrated, demo data, N extra past-due subscriptions on Bob's
card), `python -m billing serve` on a free loopback port, then closed-loop settle load at a few
concurrency levels, a replay phase (same Idempotency-Key again), and a count of the charges made.
It prints figures; it asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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
from security import tokens

ROOT = Path(__file__).resolve().parents[1]
SVC_PYTHON = ROOT / ".venv-svc" / "bin" / "python"
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BACKENDS = ("sqlite", "postgresql")
USER, TENANT, ROLE, CARD = "bob@contoso.com", "contoso", "billing_admin", "pm_bob_mc_4444"
EXTRA_SUBSCRIPTIONS = 2000
OUTSTANDING_CENTS = 1234
# (concurrency, requests at scale 1.0) of the first-time settle phases; each settles its own subscriptions.
SETTLE_PHASES = ((1, 200), (10, 500), (20, 500))
REPLAY = (10, 500)  # (concurrency, requests at scale 1.0): keys already answered 200, sent again
PHASE_SECONDS = 20.0  # a phase sends no new request after this long
REQUEST_TIMEOUT = 30.0
WARMUP_REQUESTS = 10
COLUMNS = ("phase", "conc", "requests", "ok", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "statuses")


@dataclass(frozen=True)
class Job:
    subscription_id: str
    key: str


@dataclass(frozen=True)
class Sample:
    job: Job
    status: int | str  # the HTTP status, or the class name of the transport error
    seconds: float
    charge_id: str | None


@dataclass(frozen=True)
class Phase:
    name: str
    concurrency: int
    planned: int
    samples: list[Sample]
    seconds: float

    @property
    def ok(self) -> int:
        return sum(s.status == 200 for s in self.samples)


# --- databases ------------------------------------------------------------------------------------------


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


# --- load -----------------------------------------------------------------------------------------------


def client(base: str, token: str, concurrency: int) -> httpx.AsyncClient:
    """A keep-alive client with one connection per concurrent worker, ignoring proxy settings."""
    return httpx.AsyncClient(
        base_url=base,
        headers={"Authorization": f"Bearer {token}"},
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        timeout=REQUEST_TIMEOUT,
        trust_env=False,
    )


async def warm_up(base: str, token: str) -> None:
    """A few authenticated reads, so the first measured settle pays no start-up cost."""
    async with client(base, token, 1) as http:
        for _ in range(WARMUP_REQUESTS):
            (await http.get("/v1/me")).raise_for_status()


async def run_phase(base: str, token: str, name: str, concurrency: int, jobs: list[Job]) -> Phase:
    """Closed loop: `concurrency` workers each send the next job as soon as their last one is answered."""
    queue = iter(jobs)
    samples: list[Sample] = []
    async with client(base, token, concurrency) as http:
        start = time.perf_counter()
        deadline = start + PHASE_SECONDS
        await asyncio.gather(*(_worker(http, queue, deadline, samples) for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return Phase(name, concurrency, len(jobs), samples, elapsed)


async def _worker(http: httpx.AsyncClient, queue: Iterator[Job], deadline: float, out: list[Sample]) -> None:
    for job in queue:
        if time.perf_counter() > deadline:
            return
        out.append(await settle(http, job))


async def settle(http: httpx.AsyncClient, job: Job) -> Sample:
    """One settle request, timed from send to the full response."""
    start = time.perf_counter()
    try:
        response = await http.post(
            f"/v1/subscriptions/{job.subscription_id}/settle",
            json={"payment_method_id": CARD},
            headers={"Idempotency-Key": job.key},
        )
    except httpx.HTTPError as error:
        return Sample(job, type(error).__name__, time.perf_counter() - start, None)
    seconds = time.perf_counter() - start
    charge_id = response.json().get("charge_id") if response.status_code == 200 else None
    return Sample(job, response.status_code, seconds, charge_id)


def settle_jobs(ids: list[str], scale: float, run: str) -> list[tuple[int, list[Job]]]:
    """(concurrency, jobs) per settle phase; every job has its own subscription and key."""
    phases, used = [], 0
    for concurrency, requests in SETTLE_PHASES:
        count = scaled(requests, scale)
        jobs = [Job(sid, f"bench-{run}-{sid}") for sid in ids[used : used + count]]
        phases.append((concurrency, jobs))
        used += count
    return phases


def scaled(requests: int, scale: float) -> int:
    return max(1, round(requests * scale))


# --- report ---------------------------------------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (NaN when empty)."""
    if not sorted_values:
        return math.nan
    return sorted_values[max(1, math.ceil(q / 100 * len(sorted_values))) - 1]


def row(phase: Phase) -> tuple[str, ...]:
    sent = len(phase.samples)
    millis = sorted(s.seconds * 1000 for s in phase.samples)
    statuses = Counter(str(s.status) for s in phase.samples)
    return (
        phase.name,
        str(phase.concurrency),
        str(sent) if sent == phase.planned else f"{sent}/{phase.planned}",
        str(phase.ok),
        str(sent - phase.ok),
        f"{sent / phase.seconds:.1f}" if phase.seconds else "-",
        *(f"{percentile(millis, q):.1f}" for q in (50, 95, 99)),
        " ".join(f"{code}:{n}" for code, n in sorted(statuses.items())),
    )


def print_table(phases: list[Phase]) -> None:
    rows = [COLUMNS, *(row(p) for p in phases)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    for r in rows:
        cells = [
            r[0].ljust(widths[0]),
            *(c.rjust(w) for c, w in zip(r[1:-1], widths[1:-1], strict=True)),
            r[-1],
        ]
        print("  " + "  ".join(cells))


def same_charge(replay: Phase, originals: list[Sample]) -> int:
    """How many replays returned the charge id of the first answer to their key."""
    first = {s.job.key: s.charge_id for s in originals}
    return sum(s.status == 200 and s.charge_id == first.get(s.job.key) for s in replay.samples)


# --- main -----------------------------------------------------------------------------------------------


def bench_backend(backend: str, scale: float, extra: int) -> None:
    """Prepare, serve, load and report one backend; everything it made is removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="bench_billing_") as tmp, database(backend, Path(tmp)) as url:
        started = time.perf_counter()
        ids = prepare(url, extra)
        print(
            f"\n== {backend}: {make_url(url).render_as_string()} ({len(ids)} extra past-due subscriptions,"
            f" prepared in {time.perf_counter() - started:.1f}s)"
        )
        secret = secrets.token_urlsafe(36)  # 48 characters
        with running_service(url, secret, Path(tmp)) as base:
            token = tokens.mint(secret, USER, TENANT, [ROLE])
            asyncio.run(warm_up(base, token))
            load_and_report(base, token, url, ids, scale)


def load_and_report(base: str, token: str, url: str, ids: list[str], scale: float) -> None:
    """The settle phases, the replay phase, then the table and the charge count."""
    run = secrets.token_hex(4)
    phases = [
        asyncio.run(run_phase(base, token, "settle", concurrency, jobs))
        for concurrency, jobs in settle_jobs(ids, scale, run)
    ]
    settled = [s for p in phases for s in p.samples if s.status == 200]
    before = succeeded_charges(url)
    concurrency, requests = REPLAY
    replay_jobs = [s.job for s in settled[: scaled(requests, scale)]]
    replay = asyncio.run(run_phase(base, token, "replay", concurrency, replay_jobs))
    after = succeeded_charges(url)

    print_table([*phases, replay])
    same = same_charge(replay, settled)
    print(
        f"  replay: {same}/{len(replay.samples)} answered with the original charge id;"
        f" succeeded charges before/after the replay phase: {before}/{after} (new: {after - before})"
    )
    verdict = "equal" if after == len(settled) else "DIFFERENT"
    print(
        f"  succeeded charges in the database: {after}; 200 answers to first-time settles: {len(settled)}"
        f" ({verdict})"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.billing_settle", description="Settle load on the real billing service."
    )
    parser.add_argument("--requests-scale", type=float, default=1.0, help="multiplies every phase's requests")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated: sqlite,postgresql")
    parser.add_argument(
        "--subscriptions",
        type=int,
        default=EXTRA_SUBSCRIPTIONS,
        help="extra past-due subscriptions (raised to the number of settles if lower)",
    )
    args = parser.parse_args(argv)
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = sorted(set(args.backends) - set(BACKENDS))
    if unknown or not args.backends:
        parser.error(f"--backends: choose from {', '.join(BACKENDS)} (got {', '.join(unknown) or 'none'})")
    if not args.requests_scale > 0:
        parser.error("--requests-scale must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    needed = sum(scaled(requests, args.requests_scale) for _, requests in SETTLE_PHASES)
    extra = max(args.subscriptions, needed)
    print(
        f"billing settle benchmark: scale {args.requests_scale}; (concurrency, requests at scale 1):"
        f" settle {SETTLE_PHASES}, replay {REPLAY}; at most {PHASE_SECONDS:.0f}s a phase; latencies in ms"
    )
    for backend in args.backends:
        reason = postgres_unreachable() if backend == "postgresql" else None
        if reason:
            print(f"\n== {backend}: SKIPPED, PostgreSQL is {reason}")
            continue
        bench_backend(backend, args.requests_scale, extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
