"""Settle throughput and latency of the real billing service, on SQLite and on PostgreSQL.

Run from the project root:

    .venv-svc/bin/python -m bench.billing_settle [--requests-scale 1.0] [--backends sqlite,postgresql]

For each backend: a throwaway database (migrated, demo data, N extra past-due subscriptions on Bob's
card), `python -m billing serve` on a free loopback port, then closed-loop settle load at a few
concurrency levels, a replay phase (same Idempotency-Key again), and a count of the charges made.
It prints figures; it asserts nothing about timings.
The database and the service: bench/billing_setup.py; the load and its table: bench/billing_load.py.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from bench.billing_load import (
    PHASE_SECONDS,
    SETTLE_PHASES,
    print_table,
    run_phase,
    same_charge,
    scaled,
    settle_jobs,
    warm_up,
)
from bench.billing_setup import (
    TENANT,
    database,
    postgres_unreachable,
    prepare,
    running_service,
    succeeded_charges,
)
from security import tokens

BACKENDS = ("sqlite", "postgresql")
USER, ROLE = "bob@contoso.com", "billing_admin"
EXTRA_SUBSCRIPTIONS = 2000
REPLAY = (10, 500)  # (concurrency, requests at scale 1.0): keys already answered 200, sent again


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
