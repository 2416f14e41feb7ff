"""The billing API application factory."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from billing.clock import utcnow
from billing.db import make_engine, make_sessionmaker
from billing.deps import Services
from billing.errors import BillingError
from billing.guard import CardTestingGuard
from billing.routes import router
from billing.settings import Settings
from billing.settle import Settler

log = logging.getLogger("billing")


def create_app(settings: Settings, clock: Callable[[], datetime] = utcnow) -> FastAPI:
    """A billing app on `settings.database_url` (schema already migrated)."""
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    guard = CardTestingGuard(sessions, settings.guard_max_failures, settings.guard_window_seconds)
    app = FastAPI(
        title="Billing API",
        version="1.0.0",
        description="Subscriptions, card vault, payment processor simulator and audit log.",
    )
    app.state.services = Services(
        settings=settings,
        sessions=sessions,
        clock=clock,
        guard=guard,
        settler=Settler(sessions, guard, clock, settings.idempotency_wait_seconds),
    )
    app.state.engine = engine
    app.include_router(router)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=[settings.portal_origin],
        allow_methods=["GET", "POST", "PATCH"],
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
    )

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length")
        if length and (not length.isdigit() or int(length) > settings.max_body_bytes):
            return _error(413, "payload_too_large", "The request body is too large.")
        return await call_next(request)

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    app.add_exception_handler(BillingError, _billing_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    return app


def _error(status: int, code: str, message: str, **extra: object) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status)


async def _billing_error(_request: Request, error: BillingError) -> JSONResponse:
    response = JSONResponse(error.body(), status_code=error.status_code)
    if "retry_after_seconds" in error.extra:
        response.headers["Retry-After"] = str(error.extra["retry_after_seconds"])
    return response


async def _validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
    # Never echo the input back: it may hold a card number or security code.
    problems = error.errors()
    if any(p.get("type") == "json_invalid" for p in problems):
        return _error(400, "malformed_json", "The request body is not valid JSON.")
    fields = [
        {
            "field": ".".join(str(part) for part in p.get("loc", ()) if part != "body"),
            "problem": p.get("msg", "invalid"),
        }
        for p in problems
    ]
    first = fields[0] if fields else {"field": "", "problem": "invalid"}
    return _error(
        422, "invalid_request", f"Invalid field '{first['field']}': {first['problem']}.", fields=fields
    )


async def _http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
    codes = {404: "not_found", 405: "method_not_allowed"}
    return _error(error.status_code, codes.get(error.status_code, "http_error"), str(error.detail))
