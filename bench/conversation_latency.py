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
The parts: the scripts, targets and per-level figures (bench/conversations.py), the processes
(bench/servers.py), the closed-loop load (bench/closed_loop.py), the table, the goal and the figures
file (bench/latency_report.py); here, the costs of each stage, the run and its options.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from contextlib import ExitStack
from datetime import datetime, timezone

from bench.closed_loop import WARMUP_SECONDS, run_level, sanity_pass
from bench.conversations import OURS_SCRIPT, STOCK_SCRIPT, SUBSCRIPTION, USER, Level, Target
from bench.latency_report import report
from bench.servers import (
    BENCH_DIR,
    COSTS_DIR,
    billing_state,
    ensure_stock_project,
    our_stack,
    peak_rss_mib,
    start_stock,
    wait_ready,
)
from measure import FLUSH_SECONDS
from measure import read as read_costs
from tests.support.stack import mint_token


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
