"""The bench's per-stage timing: off unless TURN_COSTS is set, and then every call counted."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import measure


def test_nothing_is_measured_without_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TURN_COSTS", raising=False)
    assert measure.from_environment("rasa") is None
    from components import turn_costs

    assert turn_costs.install() is None


def test_each_call_of_a_timed_stage_is_counted_and_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TURN_COSTS", str(tmp_path / "costs"))
    costs = measure.from_environment("actions")
    assert costs is not None
    now = [100.0]
    costs.clock = lambda: now[0]  # a clock of our own: asyncio.sleep may wake a little early

    async def billing_call(delay: float) -> str:
        now[0] += delay
        await asyncio.sleep(0)
        return "ok"

    def failing_call() -> float:
        now[0] += 0.5
        return 1 / 0

    timed = costs.timed("billing", billing_call)
    assert asyncio.run(timed(0.02)) == "ok"
    assert asyncio.run(timed(0.0)) == "ok"
    with pytest.raises(ZeroDivisionError):
        costs.timed_sync("policies", failing_call)()
    costs.flush()
    written = measure.read(tmp_path / "costs")["actions"]
    assert written["billing"] == {"calls": 2, "seconds": pytest.approx(0.02)}
    assert written["policies"] == {"calls": 1, "seconds": pytest.approx(0.5)}  # a failed call took time too
