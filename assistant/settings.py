"""The Rasa side's settings, read once when a process starts and passed in from there.

The action server reads them in `actions.server.main`, the Rasa process in the channels'
`from_credentials` (Rasa's start hook for a channel); nothing else reads the environment. Defaults are
the embedded ones (`make run`, defaults.env); tests build a `Settings(...)` of their own instead of
patching module globals. The web service and billing have their own (web/settings.py,
billing/settings.py)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Optional

from security.tokens import TokenRules

BILLING_URL = "http://127.0.0.1:8081"
WEB_URL = "http://127.0.0.1:8080"
PORTAL_ORIGIN = "http://localhost:8080"


class BadSetting(ValueError):
    """A setting is present but unusable: the process does not start (the message names it)."""


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise BadSetting(f"{name} must be a number of seconds, not {raw!r}") from None
    if not 0 < value <= 300:
        raise BadSetting(f"{name} must be between 0 and 300 seconds, not {raw}")
    return value


def _day(environ: Mapping[str, str], name: str) -> Optional[date]:
    raw = environ.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadSetting(f"{name} must be a date written YYYY-MM-DD, not {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    billing_url: str = BILLING_URL
    billing_timeout_seconds: float = 5.0
    web_url: str = WEB_URL  # the web service's assistant API (handoffs), for the actions
    portal_origin: str = PORTAL_ORIGIN  # the only origin the widget's socket accepts
    rasa_jwt_secret: str = ""  # the web service signs its calls to the socket channel with it
    socketio_redis_url: Optional[str] = None  # several replicas: rooms shared through Redis
    token_rules: TokenRules = field(default_factory=lambda: TokenRules(secret=""))
    today: Optional[date] = None  # a fixed date for the actions' clock (tests, demos); None: the system's

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        return cls(
            billing_url=environ.get("BILLING_URL", "").strip() or BILLING_URL,
            billing_timeout_seconds=_seconds(environ, "BILLING_TIMEOUT_SECONDS", 5.0),
            web_url=environ.get("WEB_URL", "").strip() or WEB_URL,
            portal_origin=environ.get("PORTAL_ORIGIN", "").strip() or PORTAL_ORIGIN,
            rasa_jwt_secret=environ.get("RASA_JWT_SECRET", ""),
            socketio_redis_url=environ.get("SOCKETIO_REDIS_URL", "").strip() or None,
            token_rules=TokenRules.from_env(environ),
            today=_day(environ, "ASSISTANT_TODAY"),
        )
