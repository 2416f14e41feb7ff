"""Where a turn's time goes: per-stage call counts and seconds, kept by a process when `TURN_COSTS` names
a directory (the bench sets it; nothing is measured otherwise). Each process writes
`<TURN_COSTS>/<process>.json` twice a second: `{stage: {"calls": n, "seconds": s}}`, totals since start.
Standard library only, Python 3.10+."""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
FLUSH_SECONDS = 0.5


class Costs:
    def __init__(self, path: Path, clock: Callable[[], float] = time.perf_counter) -> None:
        self.path = path
        self.clock = clock
        self._totals: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        threading.Thread(target=self._flush_forever, name="turn-costs", daemon=True).start()

    def add(self, stage: str, seconds: float) -> None:
        with self._lock:
            total = self._totals.setdefault(stage, [0, 0.0])
            total[0] += 1
            total[1] += seconds

    def timed(self, stage: str, function: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
        """`function` (a coroutine function), adding its wall time to `stage` on every call."""

        @functools.wraps(function)
        async def timed(*args: Any, **kwargs: Any) -> T:
            started = self.clock()
            try:
                return await function(*args, **kwargs)
            finally:
                self.add(stage, self.clock() - started)

        return timed

    def timed_sync(self, stage: str, function: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> T:
            started = self.clock()
            try:
                return function(*args, **kwargs)
            finally:
                self.add(stage, self.clock() - started)

        return timed

    def flush(self) -> None:
        with self._lock:
            snapshot = {k: {"calls": int(n), "seconds": s} for k, (n, s) in self._totals.items()}
        partial = self.path.with_suffix(".part")
        partial.write_text(json.dumps(snapshot))
        partial.replace(self.path)

    def _flush_forever(self) -> None:
        while True:
            time.sleep(FLUSH_SECONDS)
            self.flush()


def from_environment(process: str) -> Costs | None:
    """The process's recorder when `TURN_COSTS` is set, else None."""
    folder = os.environ.get("TURN_COSTS")
    if not folder:
        return None
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Costs(Path(folder) / f"{process}.json")


def read(folder: Path) -> dict[str, dict[str, dict[str, float]]]:
    """Every process's totals: {process: {stage: {"calls", "seconds"}}}."""
    found = {}
    for path in sorted(folder.glob("*.json")):
        try:
            found[path.stem] = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
    return found
