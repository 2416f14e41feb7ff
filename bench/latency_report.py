"""The report of bench/conversation_latency.py: a table of stock and ours at each level (turns/s,
p50/p95/p99, failed and off answers, the ratios), whether the run met issue 12's goal, the peak RSS,
the anomalies, and the figures file var/bench/conversation_latency.json (read by bench/plot.py)."""

from __future__ import annotations

import json
import math
from typing import Any

from bench.conversations import Level, rounded
from bench.servers import BENCH_DIR
from tests.support.stack import ROOT

RESULTS = BENCH_DIR / "conversation_latency.json"
GOAL_LEVELS, GOAL_THROUGHPUT_RATIO, GOAL_P95_MS, GOAL_P50_MS = (1, 10, 50), 1.0, 400.0, 60.0

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
