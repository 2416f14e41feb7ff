"""The billing API application factory."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from billing import docs
from billing.clock import Clock, clock_for
from billing.db import make_engine, make_read_sessionmaker, make_sessionmaker
from billing.deps import Services
from billing.errors import BillingError
from billing.guard import CardTestingGuard
from billing.routes import router
from billing.settings import Settings
from billing.settle import Settler
from billing.vault_routes import router as vault_router

log = logging.getLogger("billing")
TOO_LARGE = "The request body is too large."


def create_app(settings: Settings, clock: Clock | None = None) -> FastAPI:
    """A billing app on `settings.database_url` (schema already migrated), reading the time from `clock`
    (default: the wall clock, or one on `settings.today` when the date is fixed)."""
    clock = clock or clock_for(settings.today)
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    guard = CardTestingGuard(sessions, settings.guard_max_failures, settings.guard_window_seconds)
    app = FastAPI(
        title="Billing API",
        version="1.0.0",
        description="Subscriptions, card vault, payment processor simulator and audit log.",
        docs_url=None,
        redoc_url=None,
    )
    docs.install(app)
    app.state.services = Services(
        settings=settings,
        sessions=sessions,
        read_sessions=make_read_sessionmaker(engine),
        clock=clock,
        guard=guard,
        settler=Settler(sessions, guard, clock, settings.idempotency_wait_seconds),
    )
    app.state.engine = engine
    app.include_router(router)
    app.include_router(vault_router)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=[settings.portal_origin],
        allow_methods=["GET", "POST", "PATCH"],
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
    )

    app.add_middleware(_LimitBody, max_bytes=settings.max_body_bytes)

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    app.add_exception_handler(BillingError, _billing_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    return app


class _LimitBody:
    """Refuse a body over `max_bytes`, announced (Content-Length) or streamed (chunked, no length)."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length and (not length.isdigit() or int(length) > self.max_bytes):
            await _error(413, "payload_too_large", TOO_LARGE)(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise StarletteHTTPException(413, TOO_LARGE)  # answered by _http_error
            return message

        await self.app(scope, limited_receive, send)


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
    codes = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
    return _error(error.status_code, codes.get(error.status_code, "http_error"), str(error.detail))
