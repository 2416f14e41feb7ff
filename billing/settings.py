"""Settings, read once from the environment (and `.env`)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Billing service settings; every field can be set from the environment."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field("sqlite:///var/billing.db", alias="DATABASE_URL")
    token_secret: str = Field(..., alias="AUTH_TOKEN_SECRET", min_length=32)
    token_issuer: str = Field("m365-portal", alias="AUTH_TOKEN_ISSUER")
    token_audience: str = Field("m365-billing", alias="AUTH_TOKEN_AUDIENCE")
    portal_origin: str = Field("http://localhost:8080", alias="PORTAL_ORIGIN")
    # Card-testing guard: this many failures within the window blocks further attempts.
    guard_max_failures: int = Field(5, alias="GUARD_MAX_FAILURES")
    guard_window_seconds: int = Field(600, alias="GUARD_WINDOW_SECONDS")
    # How long a concurrent duplicate waits for the first request with the same key.
    idempotency_wait_seconds: float = Field(10.0, alias="IDEMPOTENCY_WAIT_SECONDS")
    max_body_bytes: int = Field(16_384, alias="MAX_BODY_BYTES")
    # A fixed date for the service's clock (YYYY-MM-DD; `serve --today` too): the demo data and every
    # expiry check follow it (billing/clock.py). Unset: the wall clock's date.
    today: date | None = Field(None, alias="BILLING_TODAY")

    @field_validator("today", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests build their own `Settings`)."""
    return Settings()  # type: ignore[call-arg]
