"""What the web service's routes work with, made once by the app factory (`web.app.create_app`) and
reached through FastAPI dependencies (`Svc`): settings, clock, database, the portal's user directory,
the handoff store (agents, queue, transitions), the console sign-in throttle, Rasa and the feed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Cookie, Depends, Request
from sqlalchemy import Engine

from clients.billing import BillingClient
from security import tokens
from web.clock import Clock
from web.errors import Unauthenticated
from web.handoff.agents import Agents
from web.handoff.feed import ConversationFeed
from web.handoff.monitor import HandoffMonitor
from web.handoff.queue import HandoffQueue
from web.handoff.throttle import SigninThrottle
from web.handoff.transitions import Transitions
from web.handoff.typing import TypingBoard
from web.rasa_client import RasaClient
from web.session import signed_in
from web.settings import WebSettings
from web.users import UserDirectory

SIGNED_OUT = ("signed_out", "Sign in first.")


@dataclass
class Services:
    settings: WebSettings
    clock: Clock
    engine: Engine
    users: UserDirectory
    agents: Agents
    queue: HandoffQueue
    transitions: Transitions
    throttle: SigninThrottle
    rasa: RasaClient
    feed: ConversationFeed
    board: TypingBoard
    monitor: HandoffMonitor

    def billing(self, token: str) -> BillingClient:
        """Billing on behalf of the user whose token this is."""
        return BillingClient(self.settings.billing_url, token)


def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


Svc = Annotated[Services, Depends(services)]


def portal_user_or_none(
    svc: Svc, portal_session: Annotated[str | None, Cookie()] = None
) -> tokens.Principal | None:
    """Whoever the portal cookie says is signed in, if anyone."""
    return signed_in(portal_session, svc.settings.token_rules)


def portal_user(
    caller: Annotated[tokens.Principal | None, Depends(portal_user_or_none)],
) -> tokens.Principal:
    """The signed-in portal user (401 `signed_out` otherwise)."""
    if caller is None:
        raise Unauthenticated(*SIGNED_OUT)
    return caller


def portal_token(svc: Svc, portal_session: Annotated[str | None, Cookie()] = None) -> str:
    """The signed-in portal user's token, to call billing on their behalf (401 `signed_out` otherwise)."""
    if portal_session is None or signed_in(portal_session, svc.settings.token_rules) is None:
        raise Unauthenticated(*SIGNED_OUT)
    return portal_session


SignedInUser = Annotated[tokens.Principal, Depends(portal_user)]
MaybeSignedInUser = Annotated[tokens.Principal | None, Depends(portal_user_or_none)]
PortalToken = Annotated[str, Depends(portal_token)]
