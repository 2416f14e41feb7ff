"""Closed-loop settle load on the billing service, and its table.

Each settle phase sends its own subscriptions, each under its own Idempotency-Key, from `concurrency`
workers that send the next request as soon as their last one is answered (at most `PHASE_SECONDS` a
phase); the replay phase sends keys already answered 200 again. A row per phase: requests sent, 200
answers, errors, requests/s, p50/p95/p99 latency and the statuses."""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from bench.billing_setup import CARD

# (concurrency, requests at scale 1.0) of the first-time settle phases; each settles its own subscriptions.
SETTLE_PHASES = ((1, 200), (10, 500), (20, 500))
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
