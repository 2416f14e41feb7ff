"""Typed errors: each refusal has an HTTP status and a stable code."""

from __future__ import annotations

from typing import Any


class BillingError(Exception):
    """A refusal the API reports as `{"error": {"code", "message", ...}}`."""

    status_code = 400

    def __init__(self, code: str, message: str, status_code: int | None = None, **extra: Any):
        super().__init__(message)
        self.code = code
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, **self.extra}}


class Unauthenticated(BillingError):
    status_code = 401


class Forbidden(BillingError):
    status_code = 403


class NotFound(BillingError):
    status_code = 404


class Conflict(BillingError):
    status_code = 409


class Invalid(BillingError):
    status_code = 422


class PaymentFailed(BillingError):
    status_code = 402


class TooManyAttempts(BillingError):
    status_code = 429
