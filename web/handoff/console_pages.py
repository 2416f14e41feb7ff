"""The agent console's pages: sign-in (rate limited, web/handoff/throttle.py), sign-out and the console
itself (console.js fills it from the console API)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from web.errors import PageRefusal
from web.handoff import pages
from web.handoff.deps import CONSOLE_COOKIE, SESSION_SECONDS, MaybeAgent, mint_agent_session
from web.handoff.throttle import Lock
from web.services import Svc

log = logging.getLogger("web.handoff")
WRONG_CREDENTIALS = "Unknown e-mail or wrong password."

router = APIRouter()


def paused(lock: Lock) -> str:
    return (
        f"Too many failed sign-in attempts. For your security, signing in is paused: try again {lock.when()}."
    )


def signin_paused(lock: Lock) -> PageRefusal:
    """429 for a locked sign-in: the sign-in page saying when to try again, and Retry-After."""
    headers = {"Retry-After": str(lock.retry_after), "Cache-Control": "no-store"}
    return PageRefusal(429, pages.signin(paused(lock)), headers)


@router.get("/console/signin", response_class=HTMLResponse)
def console_signin_page() -> str:
    return pages.signin()


@router.post("/console/signin")
async def console_signin(
    request: Request,
    svc: Svc,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=200)],
) -> Response:
    # Counted before the password is checked; the same answers whether or not the account exists.
    address = request.client.host if request.client else "unknown"
    attempt = await run_in_threadpool(svc.throttle.attempt, email, address)
    if attempt.refused is not None:
        raise signin_paused(attempt.refused)  # no password check while locked
    agent = await run_in_threadpool(svc.agents.authenticate, email, password)
    if agent is None:
        problem = WRONG_CREDENTIALS
        if attempt.locked is not None:
            log.warning(
                "console sign-in paused until %s (%s limit) after failures for %r from %s",
                attempt.locked.until.isoformat(),
                " and ".join(attempt.locked_scopes),
                email.strip().lower(),
                address,
            )
            problem = f"{WRONG_CREDENTIALS} {paused(attempt.locked)}"
        raise PageRefusal(401, pages.signin(problem))
    await run_in_threadpool(svc.throttle.succeeded, attempt)
    await run_in_threadpool(svc.transitions.record, agent.email, "signed_in", None, {})
    response = RedirectResponse("/console", status_code=303)
    response.set_cookie(
        CONSOLE_COOKIE,
        mint_agent_session(svc.settings.token_secret, agent),
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=svc.settings.secure_cookies,
    )
    return response


@router.post("/console/signout")
def console_signout() -> Response:
    response = RedirectResponse("/console/signin", status_code=303)
    response.delete_cookie(CONSOLE_COOKIE)
    return response


@router.get("/console", response_class=HTMLResponse)
def console_page(agent: MaybeAgent) -> Response:
    if agent is None:
        return RedirectResponse("/console/signin", status_code=303)
    return HTMLResponse(pages.console(agent.name, agent.email))
