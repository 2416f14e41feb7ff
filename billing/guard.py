"""Card-testing guard: too many failed additions or declines block a user for a while."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from billing.clock import as_utc
from billing.errors import TooManyAttempts
from billing.models import RiskEvent


class CardTestingGuard:
    def __init__(self, sessions: sessionmaker[Session], max_failures: int, window_seconds: int):
        self._sessions = sessions
        self._max = max_failures
        self._window = timedelta(seconds=window_seconds)

    def check(self, session: Session, user_id: str, now: datetime) -> None:
        """Refuse with `too_many_attempts` while the user has too many recent failures."""
        since = now - self._window
        times = session.scalars(
            select(RiskEvent.at)
            .where(RiskEvent.user_id == user_id, RiskEvent.at > since)
            .order_by(RiskEvent.at.desc())
            .limit(self._max)
        ).all()
        if len(times) >= self._max:
            unblocked_at = as_utc(times[-1]) + self._window
            retry_after = max(1, math.ceil((unblocked_at - now).total_seconds()))
            raise TooManyAttempts(
                "too_many_attempts",
                "Too many failed card attempts: wait a few minutes before trying again.",
                retry_after_seconds=retry_after,
            )

    def record_failure(self, user_id: str, kind: str, now: datetime) -> None:
        """Count a failure in its own transaction, so it lands even when the request is refused."""
        with self._sessions.begin() as session:
            session.add(RiskEvent(user_id=user_id, kind=kind, at=now))
            session.execute(delete(RiskEvent).where(RiskEvent.at < now - 2 * self._window))
