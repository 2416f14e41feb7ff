"""How the web service refuses: typed exceptions, turned into responses in one place (`install`).

- `WebError` and its kinds: a refusal of the HTTP layer (signed out, not an agent, nothing to cancel),
  answered `{"error": {"code", "message"}}` with the kind's status;
- `PageRefusal`: the same for an HTML page (the console's sign-in), with its page and headers;
- the handoff store's domain errors (web/handoff/errors.py), which carry no status: mapped here;
- Rasa or billing unreachable: 503.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

from clients.billing import BillingUnavailable
from web.handoff.errors import HandoffError, HandoffNotFound, HeldByAnotherAgent, Refused, WrongState
from web.rasa_client import RasaUnavailable


class WebError(Exception):
    status_code = 400

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class Unauthenticated(WebError):
    status_code = 401


class Forbidden(WebError):
    status_code = 403


class NotFound(WebError):
    status_code = 404


class Conflict(WebError):
    status_code = 409


class Unavailable(WebError):
    status_code = 503


class PageRefusal(Exception):
    """An HTML page answering a refused form (the sign-in page saying why), with its status."""

    def __init__(self, status_code: int, page: str, headers: dict[str, str] | None = None):
        super().__init__(status_code)
        self.status_code, self.page, self.headers = status_code, page, headers or {}


# The status of each kind of refused handoff step (the most specific class first).
HANDOFF_STATUS: tuple[tuple[type[HandoffError], int], ...] = (
    (HandoffNotFound, 404),
    (HeldByAnotherAgent, 403),
    (WrongState, 409),
    (Refused, 422),
)


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


async def _web_error(_request: Request, refused: WebError) -> JSONResponse:
    return error(refused.status_code, refused.code, refused.message)


async def _page_refusal(_request: Request, refused: PageRefusal) -> HTMLResponse:
    return HTMLResponse(refused.page, status_code=refused.status_code, headers=refused.headers)


async def _handoff_error(_request: Request, refused: HandoffError) -> JSONResponse:
    status = next((s for kind, s in HANDOFF_STATUS if isinstance(refused, kind)), 409)
    return error(status, refused.code, refused.message)


async def _rasa_unavailable(_request: Request, down: RasaUnavailable) -> JSONResponse:
    return error(503, "assistant_unavailable", f"The assistant could not be reached: {down}")


async def _billing_unavailable(_request: Request, _down: BillingUnavailable) -> JSONResponse:
    return error(503, "billing_unavailable", "Billing is not reachable.")


def install(app: FastAPI) -> None:
    app.add_exception_handler(WebError, _web_error)  # type: ignore[arg-type]
    app.add_exception_handler(PageRefusal, _page_refusal)  # type: ignore[arg-type]
    app.add_exception_handler(HandoffError, _handoff_error)  # type: ignore[arg-type]
    app.add_exception_handler(RasaUnavailable, _rasa_unavailable)  # type: ignore[arg-type]
    app.add_exception_handler(BillingUnavailable, _billing_unavailable)  # type: ignore[arg-type]
