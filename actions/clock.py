"""Today's date for the actions: the system's, or a fixed one, so that date-sensitive conversations (an
expiry "in the past") are tested on a known day.

The date is fixed once, by the action server's start: `python -m actions.server --today 2029-06-01`, or
`ASSISTANT_TODAY=2029-06-01` in its settings (assistant/settings.py; the option wins). Every action reads
`clock.today()`;
in-process tests call `fix(day)` or replace the function (`monkeypatch.setattr("actions.clock.today",
...)`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

# The one clock every action reads: the system's date until the server's start fixes one.
today: Callable[[], date] = date.today


def fix(day: date) -> None:
    """From now on, every action's today is `day`."""
    global today

    def fixed() -> date:
        return day

    today = fixed
