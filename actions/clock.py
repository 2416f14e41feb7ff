"""Today's date for the actions: the system's, or a fixed one, so that date-sensitive conversations (an
expiry "in the past") are tested on a known day.

The date is fixed by the action server's start, `python -m actions.server --today 2029-06-01`, or by
the environment, `ASSISTANT_TODAY=2029-06-01` (the option wins). Every action reads `clock.today()`;
in-process tests call `fix(day)` or replace the function (`monkeypatch.setattr("actions.clock.today",
...)`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date


def _from_environment() -> date:
    fixed = os.environ.get("ASSISTANT_TODAY", "").strip()
    return date.fromisoformat(fixed) if fixed else date.today()


# The one clock every action reads.
today: Callable[[], date] = _from_environment


def fix(day: date) -> None:
    """From now on, every action's today is `day`."""
    global today

    def fixed() -> date:
        return day

    today = fixed
