"""Who is calling the handoff API: the signed-in support agent (console session: cookie, or bearer for
scripts), and the assistant asking for a person on behalf of a user (the user's own token)."""

from __future__ import annotations

import time
from typing import Annotated

import jwt
from fastapi import Depends, Request

from security import tokens
from web.errors import Forbidden, Unauthenticated, WebError
from web.handoff.records import Agent
from web.services import Svc
from web.settings import WebSettings

CONSOLE_COOKIE = "console_session"
CONSOLE_AUDIENCE = "m365-console"
SESSION_SECONDS = 8 * 3600


def mint_agent_session(secret: str, agent: Agent, ttl_seconds: int = SESSION_SECONDS) -> str:
    now = int(time.time())  # checked by PyJWT against the system's time
    claims = {
        "sub": agent.email,
        "name": agent.name,
        "iat": now,
        "exp": now + ttl_seconds,
        "iss": CONSOLE_AUDIENCE,
        "aud": CONSOLE_AUDIENCE,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def session_email(token: str | None, settings: WebSettings) -> str:
    """The agent e-mail a console session token is for, or why it is refused (a portal user's valid
    token: 403, they are no agent)."""
    if not token:
        raise Unauthenticated("signed_out", "Sign in to the agent console first.")
    try:
        claims = jwt.decode(
            token,
            settings.token_secret,
            algorithms=["HS256"],
            issuer=CONSOLE_AUDIENCE,
            audience=CONSOLE_AUDIENCE,
            options={"require": ["sub", "exp"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("session_expired", "Your console session has expired: sign in again.") from None
    except jwt.PyJWTError:
        try:
            settings.token_rules.verify(token)
        except tokens.InvalidToken:
            raise Unauthenticated(
                "invalid_session", "The console session is not valid: sign in again."
            ) from None
        raise Forbidden("agent_role_required", "Only support agents can use the agent console.") from None
    return str(claims["sub"])


def current_agent(request: Request, svc: Svc) -> Agent:
    """The signed-in agent (`Authorization: Bearer` first, else the console cookie)."""
    header = request.headers.get("authorization", "")
    token = header[7:] if header.lower().startswith("bearer ") else request.cookies.get(CONSOLE_COOKIE)
    agent = svc.agents.get(session_email(token, svc.settings))
    if agent is None:
        raise Unauthenticated("unknown_agent", "This agent account no longer exists.")
    return agent


def agent_or_none(request: Request, svc: Svc) -> Agent | None:
    try:
        return current_agent(request, svc)
    except WebError:
        return None


def assistant_caller(request: Request, svc: Svc) -> tokens.Principal:
    """The user the assistant asks for a person for, from their own token (the action server's call)."""
    try:
        return svc.settings.token_rules.verify(tokens.bearer(request.headers.get("authorization")))
    except tokens.InvalidToken as refused:
        raise Unauthenticated(refused.code, refused.message) from None


SignedInAgent = Annotated[Agent, Depends(current_agent)]
MaybeAgent = Annotated[Agent | None, Depends(agent_or_none)]
AssistantCaller = Annotated[tokens.Principal, Depends(assistant_caller)]
