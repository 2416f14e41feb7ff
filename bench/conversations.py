"""What the conversation benches send and count: the scripts, the assistants under load, a level's figures.

A script is a few turns, each with the words its answer must contain (None: any non-empty answer);
`OURS_SCRIPT` is also the conversation of bench/replicas.py and bench/locustfile.py. A `Level` holds
what one assistant did at one concurrency: the latency of every answered turn, the failed turns, the
answers off the script, and what each stage and process cost a turn."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tests.support.stack import Service

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
