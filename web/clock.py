"""The web service's time, in UTC; SQLite returns naive datetimes, which are UTC here.

What depends on the time (handoff deadlines and waits, the handoff audit log, the console sign-in
limits) reads one clock, passed in: `create_app(settings, clock)`, the system's by default. Tests pass
one they move by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The system's clock."""
    return datetime.now(timezone.utc)


def as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
