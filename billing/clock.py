"""Time in UTC; SQLite returns naive datetimes, which are UTC here.

Whatever depends on the date (expiry checks, receipts, the seeded demo data, audit timestamps, the
card-testing guard's window) reads one clock, passed in: `create_app(settings, clock)`, `seed.seed(...,
clock())`. It is the wall clock unless the date is fixed (`BILLING_TODAY=2029-06-01` or
`python -m billing serve --today 2029-06-01`): then `starting_on` gives a clock that reads that date at
the current time of day and runs on in step with the wall clock, so intervals (the guard's window, an
abandoned payment, audit order) stay true. Only a process still running at midnight UTC sees the next day.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timezone

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def starting_on(day: date, wall: Clock = utcnow) -> Clock:
    """A clock on `day` now, at the wall clock's time of day, then advancing as the wall clock does."""
    midnight = datetime.combine(wall().date(), time(), timezone.utc)
    offset = datetime.combine(day, time(), timezone.utc) - midnight

    def now() -> datetime:
        return wall() + offset

    return now


def clock_for(today: date | None) -> Clock:
    """The wall clock, or one starting on `today` when the date is fixed."""
    return utcnow if today is None else starting_on(today)


def as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
