"""What the web tests share: a migrated and seeded throwaway web database, the settings of an
in-process web app, and a clock moved by hand."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from tests.support.stack import TEST_SECRET
from web import seed
from web.settings import WebSettings

AGENT_PASSWORD = "agent-test-password"


def web_database(path: Path, agent_password: str = AGENT_PASSWORD) -> str:
    """A fresh SQLite web database at `path`, migrated, with the demo users and agents (as `python -m
    web serve` prepares it)."""
    url = f"sqlite:///{path}"
    seed.prepare(url, agent_password)
    return url


def web_settings(**overrides: Any) -> WebSettings:
    """Settings of a web app in-process: test secrets, no monitor, nothing listening for Rasa."""
    values: dict[str, Any] = {
        "AUTH_TOKEN_SECRET": TEST_SECRET,
        "BILLING_URL": "http://127.0.0.1:9",
        "RASA_URL": "http://127.0.0.1:9",
        "RASA_JWT_SECRET": "j" * 32,
        "HANDOFF_MONITOR": False,
        **overrides,
    }
    return WebSettings(_env_file=None, **values)  # type: ignore[call-arg]


class Clock:
    """The fixed date the web tests run on; `advance` moves it."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
