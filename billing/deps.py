"""Request dependencies: the app's services and the verified caller."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy.orm import Session, sessionmaker

from billing.docs import bearer
from billing.errors import Unauthenticated
from billing.guard import CardTestingGuard
from billing.models import User
from billing.settings import Settings
from billing.settle import Settler
from security import tokens


@dataclass
class Services:
    settings: Settings
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    clock: Callable[[], datetime]
    guard: CardTestingGuard
    settler: Settler


def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def read_session(request: Request) -> Iterator[Session]:
    """A read-only transaction for the request (writes open their own)."""
    with services(request).read_sessions.begin() as s:
        yield s


def principal(
    request: Request, _declared: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> tokens.Principal:
    """The verified caller (the `bearer` dependency only documents the scheme)."""
    svc = services(request)
    rules = tokens.TokenRules(
        svc.settings.token_secret, svc.settings.token_issuer, svc.settings.token_audience
    )
    try:
        caller = rules.verify(tokens.bearer(request.headers.get("authorization")))
    except tokens.InvalidToken as refused:
        raise Unauthenticated(refused.code, refused.message) from None
    with svc.read_sessions.begin() as s:
        user = s.get(User, caller.user_id)
    if user is None or user.tenant_id != caller.tenant_id:
        raise Unauthenticated("unknown_user", "This user is not known in this tenant.")
    return caller
