"""The PNG of bench/README.md: turns/s and p95 against concurrent conversations, per configuration.

Run from the project root after `python -m bench.conversation_latency` (any number of runs, each
recorded under a label):

    .venv-rasa/bin/python -m bench.plot var/bench/conversation_latency.json:"this run" [...] \
        --out bench/conversation_latency.png

Each input is a figures file of `bench.conversation_latency` (stock, ours) or `bench.replicas` (one, two);
its series are drawn with the label.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: a file only
import matplotlib.pyplot as plt


def series(path: Path) -> dict[str, tuple[list[int], list[float], list[float]]]:
    """{target: (conversations, turns/s, p95 ms)} of one figures file."""
    data = json.loads(path.read_text())
    found: dict[str, tuple[list[int], list[float], list[float]]] = {}
    for level in data["levels"]:
        for target, figures in level.items():  # stock and ours, or one and two (bench.replicas)
            if isinstance(figures, dict) and "turns_per_s" in figures:
                xs, tps, p95 = found.setdefault(target, ([], [], []))
                xs.append(level["concurrency"])
                tps.append(figures["turns_per_s"])
                p95.append(figures["p95_ms"])
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.plot")
    parser.add_argument("runs", nargs="+", help="figures.json:label")
    parser.add_argument("--out", default="bench/conversation_latency.png")
    args = parser.parse_args(argv)
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for run in args.runs:
        path, _, label = run.partition(":")
        for target, (xs, tps, p95) in series(Path(path)).items():
            name = f"{label} · {target}" if label else target
            style = "--" if target == "stock" else "-"
            left.plot(xs, tps, style, marker="o", label=name)
            right.plot(xs, p95, style, marker="o", label=name)
    for axis, title in ((left, "turns per second"), (right, "p95 latency (ms)")):
        axis.set_xscale("log")
        axis.set_xlabel("concurrent conversations")
        axis.set_title(title)
        axis.grid(True, alpha=0.3)
    right.set_yscale("log")
    left.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(args.out, dpi=110)
    print(f"plot: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
