"""Today's date for the actions: the system's, or a fixed one (`ASSISTANT_TODAY=2026-12-02`) so that
date-sensitive conversations (an expiry "in the past") are tested on a known day."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date


def _from_environment() -> date:
    fixed = os.environ.get("ASSISTANT_TODAY", "").strip()
    return date.fromisoformat(fixed) if fixed else date.today()


# The one clock every action reads; tests replace it (`clock.today = lambda: date(2026, 12, 2)`).
today: Callable[[], date] = _from_environment
