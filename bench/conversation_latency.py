"""Full-stack conversation latency of our assistant beside a stock `rasa init` model, over REST.

Run from the project root:

    .venv-rasa/bin/python -m bench.conversation_latency [--seconds 20] [--levels 1,10,50] [--skip-stock]

Stock: the project made by `rasa init --no-prompt` in var/bench/stock (made once, then reused), served by
`rasa run` with its defaults (in-memory tracker store, REST channel). Ours: billing on a throwaway SQLite
file, the action server and Rasa on models/current.tar.gz with the SQLite tracker store, started by the
helpers of tests/support/stack.py; every turn carries a token minted for alice@contoso.com.

At each concurrency level C, both assistants get closed-loop load in turn: C workers each play a short
script, on a fresh sender id every time the script restarts, and send the next turn as soon as the last
one is answered. A warm-up is not recorded. A turn is one POST /webhooks/rest/webhook until its JSON
answer; latencies and turns/s count answered turns (200 with a JSON list), the rest are errors. An
answered turn is also "off" when it is empty or lacks the words that turn should produce (ours only),
which is how a backend that fails behind a 200 shows up.
It prints figures and writes them to var/bench/conversation_latency.json; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx

from measure import FLUSH_SECONDS
from measure import read as read_costs
from tests.support.stack import (
    ROOT,
    Service,
    action_server,
    billing_service,
    free_port,
    mint_token,
    rasa_server,
)

RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
MODEL = ROOT / "models" / "current.tar.gz"
BENCH_DIR = ROOT / "var" / "bench"
STOCK_DIR = BENCH_DIR / "stock"
OURS_DIR = BENCH_DIR / "ours"
RESULTS = BENCH_DIR / "conversation_latency.json"
COSTS_DIR = OURS_DIR / "costs"

USER = "alice@contoso.com"
SUBSCRIPTION = "sub_contoso_business_standard"
# (what the user says, words the answer must contain or None when any non-empty answer will do)
Script = tuple[tuple[str, str | None], ...]
STOCK_SCRIPT: Script = (("hello", None), ("I am sad", None), ("yes", None), ("bye", None))
OURS_SCRIPT: Script = (
    ("hello", "Hello"),
    ("I need to pay my balance", "€151.20"),
    ('/choose_subscription{"subscription": "Microsoft 365 Business Standard"}', "has expired"),
    ("/update_expiry", "new expiration date"),
    ("12/27", "security code"),
    ("cancel", "nothing was charged"),
)

WARMUP_SECONDS = 3.0
TURN_TIMEOUT = 60.0
START_TIMEOUT = 240.0
GOAL_LEVELS, GOAL_THROUGHPUT_RATIO, GOAL_P95_MS, GOAL_P50_MS = (1, 10, 50), 1.0, 400.0, 60.0


@dataclass(frozen=True)
class Target:
    """One assistant under load: where it listens, what its users say, and its Rasa process."""

    name: str
    service: Service
    script: Script
    metadata: dict[str, Any]
    processes: dict[str, int] = field(default_factory=dict)  # name: pid, whose CPU each turn costs


@dataclass
class Level:
    """What one assistant did at one concurrency level."""

    target: str
    concurrency: int
    latencies: list[float] = field(default_factory=list)  # seconds, answered turns only
    errors: Counter[str] = field(default_factory=Counter)
    off: int = 0  # answered, but empty or without the expected words
    off_example: str = ""
    seconds: float = 0.0
    costs: dict[str, dict[str, float]] = field(default_factory=dict)  # stage: calls and ms per turn
    cpu_ms: dict[str, float] = field(default_factory=dict)  # process: CPU ms per measured turn

    @property
    def turns_per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else math.nan

    def ms(self, q: float) -> float:
        return percentile(sorted(self.latencies), q) * 1000

    def record(self, seconds: float, outcome: str | list[Any], text: str, expected: str | None) -> None:
        """Count one measured turn: a failure, or an answer (on target or off)."""
        if isinstance(outcome, str):
            self.errors[outcome] += 1
            return
        self.latencies.append(seconds)
        if not on_target(outcome, expected):
            self.off += 1
            self.off_example = self.off_example or f"{text!r} -> {said(outcome)[:160]!r}"

    def summary(self) -> dict[str, Any]:
        return {
            "turns": len(self.latencies),
            "seconds": round(self.seconds, 3),
            "turns_per_s": rounded(self.turns_per_second, 2),
            **{f"p{q}_ms": rounded(self.ms(q), 1) for q in (50, 95, 99)},
            "errors": dict(self.errors),
            "off_replies": self.off,
            "off_example": self.off_example,
            **({"cost_per_turn": self.costs} if self.costs else {}),
            **({"cpu_ms_per_turn": self.cpu_ms} if self.cpu_ms else {}),
        }


def said(replies: list[Any]) -> str:
    """The texts and button titles the user sees."""
    parts = [r.get("text", "") for r in replies if isinstance(r, dict)]
    buttons = [b.get("title", "") for r in replies if isinstance(r, dict) for b in r.get("buttons") or []]
    return " | ".join(p for p in [*parts, *buttons] if p)


def on_target(replies: list[Any], expected: str | None) -> bool:
    return bool(replies) and (expected is None or expected in said(replies))


def rounded(value: float, digits: int) -> float | None:
    """`value` rounded, or None for NaN (JSON has no NaN)."""
    return None if math.isnan(value) else round(value, digits)


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (NaN when empty)."""
    if not sorted_values:
        return math.nan
    return sorted_values[max(1, math.ceil(q / 100 * len(sorted_values))) - 1]


# --- processes ------------------------------------------------------------------------------------------


def ensure_stock_project() -> Path:
    """The models directory of the stock project, running `rasa init` first if it has no model yet."""
    models = STOCK_DIR / "models"
    if any(models.glob("*.tar.gz")):
        print(f"stock project: reusing {STOCK_DIR.relative_to(ROOT)}")
        return models
    STOCK_DIR.mkdir(parents=True, exist_ok=True)
    log = BENCH_DIR / "stock-init.log"
    print(f"stock project: `rasa init` in {STOCK_DIR.relative_to(ROOT)} (log: {log.relative_to(ROOT)})")
    started = time.monotonic()
    with log.open("wb") as out:
        done = subprocess.run(
            [str(RASA), "init", "--no-prompt", "--init-dir", str(STOCK_DIR)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0 or not any(models.glob("*.tar.gz")):
        raise RuntimeError(f"`rasa init` failed ({done.returncode}):\n{tail(log)}")
    print(f"stock project: trained in {time.monotonic() - started:.0f}s")
    return models


def start_stock(models: Path) -> Service:
    """`rasa run` on the stock model with its defaults, on a free loopback port; not yet ready."""
    port = free_port()
    log = BENCH_DIR / "stock-rasa.log"
    args = [str(RASA), "run", "--model", str(models), "--port", str(port), "--interface", "127.0.0.1"]
    with log.open("wb") as out:
        process = subprocess.Popen(args, cwd=STOCK_DIR, stdout=out, stderr=subprocess.STDOUT)
    return Service("stock-rasa", f"http://127.0.0.1:{port}", process, log)


def wait_ready(service: Service, timeout: float = START_TIMEOUT) -> None:
    """Return once GET / answers 200; raise if the process exits or the time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"{service.name} exited early:\n{tail(service.log)}")
        try:
            if httpx.get(service.url + "/", timeout=1.0, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{service.name} did not answer GET / within {timeout:.0f}s:\n{tail(service.log)}")


@contextmanager
def our_stack() -> Iterator[tuple[Service, dict[str, int], str, str]]:
    """Billing (fresh SQLite), actions and Rasa on our model; yields (rasa, billing url, database url)."""
    if not MODEL.exists():
        raise RuntimeError(f"no trained model at {MODEL}: run `make model` first")
    shutil.rmtree(OURS_DIR, ignore_errors=True)  # throwaway billing and tracker databases, fresh logs
    OURS_DIR.mkdir(parents=True)
    with (
        billing_service(OURS_DIR) as (billing, database_url),
        action_server(OURS_DIR, billing.url) as actions,
        rasa_server(OURS_DIR, MODEL, actions.url, billing.url) as rasa,
    ):
        pids = {"rasa": rasa.process.pid, "actions": actions.process.pid, "billing": billing.process.pid}
        yield rasa, pids, billing.url, database_url


def peak_rss_mib(service: Service) -> float | None:
    """VmHWM (peak resident set) of a live process from /proc, in MiB; None when unavailable."""
    try:
        status = Path(f"/proc/{service.process.pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a live process has used so far (/proc/<pid>/stat), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def cpu_over(processes: dict[str, int], start: float, end: float) -> dict[str, float]:
    """CPU seconds each process used between two `time.perf_counter()` instants (waits for both)."""
    await asyncio.sleep(max(0.0, start - time.perf_counter()))
    before = {name: cpu_seconds(pid) for name, pid in processes.items()}
    await asyncio.sleep(max(0.0, end - time.perf_counter()))
    return {name: cpu_seconds(pid) - before[name] for name, pid in processes.items()}


def tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# --- load -----------------------------------------------------------------------------------------------


async def turn(http: httpx.AsyncClient, sender: str, text: str, metadata: dict[str, Any]) -> str | list[Any]:
    """One message; the JSON list of replies, or why it failed (a string)."""
    body = {"sender": sender, "message": text, "metadata": metadata}
    try:
        response = await http.post("/webhooks/rest/webhook", json=body)
    except httpx.HTTPError as error:
        return type(error).__name__
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    try:
        replies = response.json()
    except ValueError:
        return "invalid JSON"
    return replies if isinstance(replies, list) else "not a list"


async def converse(
    http: httpx.AsyncClient, target: Target, worker: int, measure_from: float, deadline: float, level: Level
) -> None:
    """Play the script again and again, a fresh sender each time, until the deadline."""
    while time.perf_counter() < deadline:
        sender = f"bench-{target.name}-{worker}-{uuid.uuid4().hex[:10]}"
        for text, expected in target.script:
            if time.perf_counter() >= deadline:
                return
            started = time.perf_counter()
            outcome = await turn(http, sender, text, target.metadata)
            if started >= measure_from:
                level.record(time.perf_counter() - started, outcome, text, expected)


async def run_level(target: Target, concurrency: int, seconds: float, warmup: float) -> Level:
    """Closed loop: `concurrency` conversations at once, a warm-up, then `seconds` measured."""
    level = Level(target.name, concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=target.service.url, timeout=TURN_TIMEOUT, limits=limits, trust_env=False
    ) as http:
        measure_from = time.perf_counter() + warmup
        deadline = measure_from + seconds
        processes = target.processes or {target.name: target.service.process.pid}
        cpu = asyncio.create_task(cpu_over(processes, measure_from, deadline))
        await asyncio.gather(
            *(converse(http, target, w, measure_from, deadline, level) for w in range(concurrency))
        )
        level.seconds = max(time.perf_counter(), deadline) - measure_from
        if level.latencies:
            level.cpu_ms = {n: round(s / len(level.latencies) * 1000, 1) for n, s in (await cpu).items()}
    if target.service.process.poll() is not None:
        raise RuntimeError(f"{target.service.name} died under load:\n{tail(target.service.log)}")
    return level


async def sanity_pass(target: Target) -> None:
    """The script once, one turn at a time, before any load: fail on errors, warn on off answers."""
    async with httpx.AsyncClient(base_url=target.service.url, timeout=TURN_TIMEOUT, trust_env=False) as http:
        sender = f"bench-{target.name}-sanity-{uuid.uuid4().hex[:10]}"
        for text, expected in target.script:
            outcome = await turn(http, sender, text, target.metadata)
            if isinstance(outcome, str):
                raise RuntimeError(f"{target.name}: {text!r} failed during the sanity pass: {outcome}")
            if not on_target(outcome, expected):
                print(f"WARNING: {target.name}: {text!r} -> {said(outcome)!r}, expected {expected!r}")


def billing_state(billing_url: str, token: str) -> str:
    """The state of Alice's Business Standard subscription (it should stay past_due), or why unknown."""
    try:
        response = httpx.get(
            f"{billing_url}/v1/subscriptions/{SUBSCRIPTION}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=45,  # longer than billing's 30 s connection-pool timeout
            trust_env=False,
        )
    except httpx.HTTPError as error:
        return f"unknown ({type(error).__name__})"
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    return str(response.json().get("state"))


# --- report ---------------------------------------------------------------------------------------------


COLUMNS = (
    "C",
    "stock t/s",
    "p50",
    "p95",
    "p99",
    "err",
    "off",
    "ours t/s",
    "p50",
    "p95",
    "p99",
    "err",
    "off",
    "t/s ours/stock",
    "p95 ours/stock",
)


def ratio(ours: float, stock: float) -> float:
    return ours / stock if stock and not math.isnan(stock) else math.nan


def cells(level: Level | None) -> list[str]:
    if level is None:
        return ["-"] * 6
    figures = [f"{level.turns_per_second:.1f}", *(f"{level.ms(q):.0f}" for q in (50, 95, 99))]
    return [*figures, str(sum(level.errors.values())), str(level.off)]


def table_row(concurrency: int, stock: Level | None, ours: Level) -> tuple[str, ...]:
    throughput = ratio(ours.turns_per_second, stock.turns_per_second) if stock else math.nan
    p95 = ratio(ours.ms(95), stock.ms(95)) if stock else math.nan
    return (str(concurrency), *cells(stock), *cells(ours), times(throughput), times(p95))


def times(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.2f}x"


def print_table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
    for r in [COLUMNS, *rows]:
        print("  " + "  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))


def goal(results: dict[int, dict[str, Level]]) -> dict[str, Any]:
    """Whether this run met issue 12's goal: ours at >= GOAL_THROUGHPUT_RATIO x stock's turns/s at every
    level of GOAL_LEVELS, p95 <= GOAL_P95_MS at 10 conversations and p50 <= GOAL_P50_MS at one (None when
    a level of it was not measured)."""
    text = (
        f"ours >= {GOAL_THROUGHPUT_RATIO}x stock turns/s at {', '.join(map(str, GOAL_LEVELS))} conversations,"
        f" p95 <= {GOAL_P95_MS:.0f} ms at 10, p50 <= {GOAL_P50_MS:.0f} ms at 1"
    )
    pairs = {
        level: (results.get(level, {}).get("stock"), results.get(level, {}).get("ours"))
        for level in GOAL_LEVELS
    }
    if any(stock is None or ours is None for stock, ours in pairs.values()):
        return {"goal": text, "met": None}
    ratios = {level: ratio(o.turns_per_second, s.turns_per_second) for level, (s, o) in pairs.items()}
    p95, p50 = pairs[10][1].ms(95), pairs[1][1].ms(50)  # type: ignore[union-attr]
    met = min(ratios.values()) >= GOAL_THROUGHPUT_RATIO and p95 <= GOAL_P95_MS and p50 <= GOAL_P50_MS
    return {
        "goal": text,
        "met": met,
        "throughput_ratio": {str(level): rounded(r, 3) for level, r in ratios.items()},
        "ours_p95_ms_at_10": rounded(p95, 1),
        "ours_p50_ms_at_1": rounded(p50, 1),
    }


def report(results: dict[int, dict[str, Level]], rss: dict[str, float | None], extra: dict[str, Any]) -> None:
    """Print the table, the goal line and the peak RSS, then write the JSON file."""
    print("\nlatencies in ms; t/s = answered turns per second; err = failed turns; off = answered off-script")
    print_table([table_row(c, r.get("stock"), r["ours"]) for c, r in results.items()])
    verdict = goal(results)
    met = {True: "MET", False: "NOT met", None: "not evaluated (needs stock and ours at that level)"}
    print(f"\ngoal: {verdict['goal']}: this run {met[verdict['met']]}")
    print("peak RSS: " + ", ".join(f"{name} {_mib(mib)}" for name, mib in rss.items()))
    print_anomalies(results)
    data = {
        **extra,
        "levels": [
            {"concurrency": c, **{name: level.summary() for name, level in r.items()}}
            for c, r in results.items()
        ],
        "goal": verdict,
        "peak_rss_mib": {name: None if mib is None else round(mib, 1) for name, mib in rss.items()},
    }
    RESULTS.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n")
    print(f"figures: {RESULTS.relative_to(ROOT)}")


def print_anomalies(results: dict[int, dict[str, Level]]) -> None:
    """A line per level and target that had failed turns or off answers."""
    troubled = [lv for by_target in results.values() for lv in by_target.values() if lv.errors or lv.off]
    for lv in troubled:
        print(f"note: {lv.target} at C={lv.concurrency}: errors {dict(lv.errors)}, off answers {lv.off}")
        if lv.off_example:
            print(f"      e.g. {lv.off_example}")


def _mib(mib: float | None) -> str:
    return "n/a" if mib is None else f"{mib:.0f} MiB"


# --- main -----------------------------------------------------------------------------------------------


def stage_totals() -> dict[str, list[float]]:
    """What our processes measured so far (measure/: written twice a second): {stage: [calls, seconds]}."""
    time.sleep(FLUSH_SECONDS * 2.5)  # the last turns' figures are on disk
    return {
        f"{process}: {stage}": [t["calls"], t["seconds"]]
        for process, stages in read_costs(COSTS_DIR).items()
        for stage, t in stages.items()
    }


Totals = dict[str, list[float]]


def cost_per_turn(before: Totals, after: Totals) -> dict[str, dict[str, float]]:
    """Calls and milliseconds per user message of every stage, between two readings (warm-up included).
    Stages nest: `rasa: action server` holds `actions: action`, which holds `actions: billing`."""
    turns = after.get("rasa: nlu", [0, 0])[0] - before.get("rasa: nlu", [0, 0])[0]
    if turns <= 0:
        return {}
    return {
        stage: {
            "calls": round((calls - before.get(stage, [0, 0])[0]) / turns, 2),
            "ms": round((spent - before.get(stage, [0, 0])[1]) / turns * 1000, 1),
        }
        for stage, (calls, spent) in sorted(after.items())
    }


def print_costs(level: Level) -> None:
    stages = sorted(level.costs.items(), key=lambda item: -item[1]["ms"])
    parts = [f"{name} {c['ms']:.0f} ms ({c['calls']:g}x)" for name, c in stages]
    print("        per turn: " + ", ".join(parts))


def measure(targets: list[Target], levels: list[int], seconds: float) -> dict[int, dict[str, Level]]:
    """Every level, each target in turn at that level; ours with the time of each of its stages."""
    results: dict[int, dict[str, Level]] = {}
    for concurrency in levels:
        for target in targets:
            before = stage_totals() if target.name == "ours" else {}
            level = asyncio.run(run_level(target, concurrency, seconds, WARMUP_SECONDS))
            if target.name == "ours":
                level.costs = cost_per_turn(before, stage_totals())
            print(
                f"  C={concurrency:<3} {target.name:<5} {len(level.latencies):>6} turns"
                f" {level.turns_per_second:7.1f} t/s  p95 {level.ms(95):7.0f} ms"
                f"  errors {sum(level.errors.values())}  off {level.off}"
            )
            if level.costs:
                print_costs(level)
            if level.cpu_ms:
                shares = ", ".join(f"{name} {ms:.0f} ms" for name, ms in level.cpu_ms.items())
                print(f"        CPU per turn: {shares}")
            results.setdefault(concurrency, {})[target.name] = level
    return results


def bench(args: argparse.Namespace) -> None:
    """Start everything, load it, report; every process started here is stopped, whatever happens."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")  # no phoning home from the servers we start
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    load_before = os.getloadavg()
    with ExitStack() as stack:
        stock = None
        if not args.skip_stock:
            stock = start_stock(ensure_stock_project())  # loads while our stack starts
            stack.callback(stock.stop)
        print("starting billing, actions and Rasa on our model ...")
        os.environ["TURN_COSTS"] = str(COSTS_DIR)  # our processes time their stages (measure/)
        booting = time.monotonic()
        ours, pids, billing_url, database_url = stack.enter_context(our_stack())
        token = mint_token(database_url, USER)
        targets = [Target("ours", ours, OURS_SCRIPT, {"token": token}, pids)]
        if stock is not None:
            wait_ready(stock)
            targets.insert(0, Target("stock", stock, STOCK_SCRIPT, {}))
        print(f"servers ready in {time.monotonic() - booting:.0f}s")
        for target in targets:
            asyncio.run(sanity_pass(target))
        print(f"load: levels {args.levels}, {WARMUP_SECONDS:.0f}s warm-up + {args.seconds:.0f}s each")
        results = measure(targets, args.levels, args.seconds)
        rss = {t.name: peak_rss_mib(t.service) for t in targets}
        state = billing_state(billing_url, token)
    extra = {
        "started_at": started_at,
        "seconds_per_level": args.seconds,
        "warmup_seconds": WARMUP_SECONDS,
        "cpus": os.cpu_count(),
        "loadavg_1m_before": load_before[0],
        "loadavg_1m_after": os.getloadavg()[0],
        "billing_state_after": state,
    }
    print(f"\nsubscription {SUBSCRIPTION} after the run: {state} (expected past_due)")
    print(f"load average (1 min) before/after: {load_before[0]:.2f}/{extra['loadavg_1m_after']:.2f}")
    report(results, rss, extra)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.conversation_latency",
        description="Conversations over REST: our assistant beside a stock `rasa init` model.",
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per level and target")
    parser.add_argument("--levels", default="1,10,50", help="comma-separated concurrent conversations")
    parser.add_argument("--skip-stock", action="store_true", help="measure our assistant only")
    return checked(parser, parser.parse_args(argv))


def checked(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.Namespace:
    """--levels as a list of integers and a positive --seconds, or the parser's error (both benches)."""
    try:
        args.levels = [int(c) for c in args.levels.split(",") if c.strip()]
    except ValueError:
        parser.error(f"--levels: comma-separated integers (got {args.levels!r})")
    if not args.levels or min(args.levels) < 1:
        parser.error("--levels: at least one level, each >= 1")
    if not args.seconds > 0:
        parser.error("--seconds must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    bench(parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
