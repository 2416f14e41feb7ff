"""The handoff HTTP API: the assistant's request (user token), the widget's status and cancel (portal
cookie), and the agent console's API and live streams (agent session). Nothing is anonymous."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

import jwt
from fastapi import APIRouter, Cookie, Form, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from security import tokens
from security.cards import find_card_data
from web import history
from web.handoff import context, pages
from web.handoff.feed import ConversationFeed, RasaFeed
from web.handoff.models import Agent
from web.handoff.rasa import RasaGateway, RasaUnavailable
from web.handoff.store import HandoffError, HandoffStore, Requester
from web.handoff.throttle import Lock, SigninLimits, SigninThrottle
from web.handoff.typing import TypingBoard
from web.session import signed_in
from web.settings import WebSettings

log = logging.getLogger("web.handoff")
CONSOLE_COOKIE = "console_session"
PORTAL_COOKIE = "portal_session"
CONSOLE_AUDIENCE = "m365-console"
SESSION_ID = r"^[A-Za-z0-9_-]{8,64}$"
STREAM_INTERVAL = 0.4  # seconds between looks at the database / the conversation feed for a live stream
WRONG_CREDENTIALS = "Unknown e-mail or wrong password."
JOINED = {
    "fr": "{name}, du support, a rejoint la conversation.",
    "en": "{name} from support has joined the conversation.",
}


class HandoffRequest(BaseModel):
    conversation_id: str = Field(pattern=SESSION_ID)
    reason: str = Field(max_length=40)
    language: str = Field("en", pattern="^(fr|en)$")
    detail: str = Field("", max_length=500)


class AgentMessage(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


class Typing(BaseModel):
    typing: bool


class HandBack(BaseModel):
    mode: str = Field(pattern="^(resume|restart|payment)$")


class SessionRef(BaseModel):
    session_id: str = Field(pattern=SESSION_ID)


class UserTyping(SessionRef):
    typing: bool


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def mint_agent_session(secret: str, agent: Agent, ttl_seconds: int = 8 * 3600) -> str:
    now = int(time.time())
    claims = {
        "sub": agent.email,
        "name": agent.name,
        "iat": now,
        "exp": now + ttl_seconds,
        "iss": CONSOLE_AUDIENCE,
        "aud": CONSOLE_AUDIENCE,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def looks_like_card_number(text: str) -> bool:
    found = find_card_data(text)
    return bool(found.card_numbers or found.invalid_card_number)


def paused(lock: Lock) -> str:
    return (
        f"Too many failed sign-in attempts. For your security, signing in is paused: try again {lock.when()}."
    )


def signin_paused(lock: Lock) -> Response:
    """429 for a locked sign-in: the sign-in page saying when to try again, and Retry-After."""
    return HTMLResponse(
        pages.signin(paused(lock)),
        status_code=429,
        headers={"Retry-After": str(lock.retry_after), "Cache-Control": "no-store"},
    )


def build_router(
    settings: WebSettings,
    store: HandoffStore,
    rasa: RasaGateway,
    feed: ConversationFeed | None = None,
    typing_board: TypingBoard | None = None,
    signin_throttle: SigninThrottle | None = None,
) -> APIRouter:
    router = APIRouter()
    feed = feed or RasaFeed(rasa)
    board = typing_board or TypingBoard()
    throttle = signin_throttle or SigninThrottle(
        store.engine, SigninLimits.from_settings(settings), store.clock
    )

    # --- who is calling ------------------------------------------------------------------------
    def agent_from(request: Request) -> Agent | JSONResponse:
        header = request.headers.get("authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else request.cookies.get(CONSOLE_COOKIE)
        if not token:
            return error(401, "signed_out", "Sign in to the agent console first.")
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
            return error(401, "session_expired", "Your console session has expired: sign in again.")
        except jwt.PyJWTError:
            try:
                settings.token_rules.verify(token)
            except tokens.InvalidToken:
                return error(401, "invalid_session", "The console session is not valid: sign in again.")
            return error(403, "agent_role_required", "Only support agents can use the agent console.")
        agent = store.agent(str(claims["sub"]))
        if agent is None:
            return error(401, "unknown_agent", "This agent account no longer exists.")
        return agent

    async def agent_call(request: Request, work: Callable[[Agent], Awaitable[Any]]) -> Response:
        agent = agent_from(request)
        if isinstance(agent, JSONResponse):
            return agent
        try:
            result = await work(agent)
        except HandoffError as refused:
            return error(refused.status, refused.code, refused.message)
        except RasaUnavailable as down:
            return error(503, "assistant_unavailable", f"The assistant could not be reached: {down}")
        return result if isinstance(result, Response) else JSONResponse(result)

    # --- the assistant asks for a person (action server, with the user's token) ----------------
    @router.post("/api/handoffs", status_code=201)
    async def request_handoff(body: HandoffRequest, request: Request) -> Response:
        try:
            caller = settings.token_rules.verify(tokens.bearer(request.headers.get("authorization")))
        except tokens.InvalidToken as refused:
            return error(401, refused.code, refused.message)
        try:
            # Whose conversation it is, from Rasa itself: an authorization decision is not made on a
            # copy that may lag behind (the broker feed).
            events = await rasa.events(body.conversation_id)
        except RasaUnavailable as down:
            return error(503, "assistant_unavailable", str(down))
        if history.owner(events) not in (None, caller.user_id):
            return error(404, "conversation_not_found", "No such conversation.")
        try:
            handoff, created = await run_in_threadpool(
                store.request,
                body.conversation_id,
                Requester(caller.user_id, caller.tenant_id, caller.roles),
                body.reason,
                body.language,
                body.detail,
            )
        except HandoffError as refused:
            return error(refused.status, refused.code, refused.message)
        position = await run_in_threadpool(_position, store, handoff["id"])
        handoff["position"] = position
        handoff["estimated_wait_seconds"] = await run_in_threadpool(store.estimated_wait, position)
        return JSONResponse(handoff, status_code=201 if created else 200)

    # --- the widget: status, "stop waiting", typing (portal cookie) ---------------------------
    async def own_open_handoff(portal_session: str | None, session_id: str) -> tuple[Any, Any]:
        """The signed-in widget user (None: signed out) and their open handoff on this conversation
        (None when there is none or it is someone else's)."""
        caller = signed_in(portal_session, settings.token_rules)
        if caller is None:
            return None, None
        handoff = await run_in_threadpool(store.open_for, session_id)
        return caller, handoff if handoff is not None and handoff["user"] == caller.user_id else None

    @router.get("/api/handoff")
    async def handoff_status(
        session_id: Annotated[str, Query(pattern=SESSION_ID)],
        portal_session: Annotated[str | None, Cookie()] = None,
    ) -> Response:
        caller, handoff = await own_open_handoff(portal_session, session_id)
        if caller is None:
            return error(401, "signed_out", "Sign in first.")
        if handoff is None:
            return JSONResponse({"state": "bot"})
        position = await run_in_threadpool(_position, store, handoff["id"])
        return JSONResponse(
            {
                "state": handoff["state"],
                "agent_name": handoff["agent_name"],
                "estimated_wait_seconds": await run_in_threadpool(store.estimated_wait, position),
            }
        )

    @router.post("/api/handoff/cancel")
    async def cancel_wait(
        body: SessionRef, portal_session: Annotated[str | None, Cookie()] = None
    ) -> Response:
        caller, handoff = await own_open_handoff(portal_session, body.session_id)
        if caller is None:
            return error(401, "signed_out", "Sign in first.")
        if handoff is None:
            return error(404, "not_waiting", "You are not waiting for an agent.")
        try:
            closed = await run_in_threadpool(store.cancel, handoff["id"], caller.user_id)
        except HandoffError as refused:
            return error(refused.status, refused.code, refused.message)
        try:
            await rasa.give_back(closed["conversation_id"], "cancelled", closed["language"])
        except RasaUnavailable as down:
            await run_in_threadpool(store.undo_cancel, closed["id"], caller.user_id, str(down))
            return error(
                503, "assistant_unavailable", "The assistant could not be reached; you are still waiting."
            )
        return JSONResponse({"state": "bot"})

    @router.post("/api/handoff/typing")
    async def user_typing(
        body: UserTyping, portal_session: Annotated[str | None, Cookie()] = None
    ) -> Response:
        """The widget says its user is typing to the agent who holds the conversation."""
        caller, handoff = await own_open_handoff(portal_session, body.session_id)
        if caller is None:
            return error(401, "signed_out", "Sign in first.")
        if handoff is None or handoff["state"] != "assigned":
            return error(409, "no_agent", "No support agent holds this conversation.")
        board.set(body.session_id, body.typing)
        return JSONResponse({"typing": body.typing})

    # --- console pages --------------------------------------------------------------------------
    @router.get("/console/signin", response_class=HTMLResponse)
    def console_signin_page() -> str:
        return pages.signin()

    @router.post("/console/signin")
    async def console_signin(
        request: Request,
        email: Annotated[str, Form(max_length=254)],
        password: Annotated[str, Form(max_length=200)],
    ) -> Response:
        # Counted before the password is checked; the same answers whether or not the account exists.
        address = request.client.host if request.client else "unknown"
        attempt = await run_in_threadpool(throttle.attempt, email, address)
        if attempt.refused is not None:
            return signin_paused(attempt.refused)  # no password check while locked
        agent = await run_in_threadpool(store.authenticate, email, password)
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
            return HTMLResponse(pages.signin(problem), status_code=401)
        await run_in_threadpool(throttle.succeeded, attempt)
        await run_in_threadpool(store.record, agent.email, "signed_in", None, {})
        response = RedirectResponse("/console", status_code=303)
        response.set_cookie(
            CONSOLE_COOKIE,
            mint_agent_session(settings.token_secret, agent),
            max_age=8 * 3600,
            httponly=True,
            samesite="strict",
            secure=settings.secure_cookies,
        )
        return response

    @router.post("/console/signout")
    def console_signout() -> Response:
        response = RedirectResponse("/console/signin", status_code=303)
        response.delete_cookie(CONSOLE_COOKIE)
        return response

    @router.get("/console", response_class=HTMLResponse)
    def console_page(request: Request) -> Response:
        agent = agent_from(request)
        if isinstance(agent, JSONResponse):
            return RedirectResponse("/console/signin", status_code=303)
        return HTMLResponse(pages.console(agent.name, agent.email))

    # --- console API ------------------------------------------------------------------------------
    @router.get("/console/api/me")
    async def me(request: Request) -> Response:
        async def work(agent: Agent) -> Any:
            return {"email": agent.email, "name": agent.name}

        return await agent_call(request, work)

    @router.get("/console/api/queue")
    async def queue(request: Request) -> Response:
        async def work(agent: Agent) -> Any:
            return await run_in_threadpool(store.queue)

        return await agent_call(request, work)

    @router.get("/console/api/handoffs/{handoff_id}")
    async def detail(request: Request, handoff_id: Annotated[int, Path(ge=1)]) -> Response:
        async def work(agent: Agent) -> Any:
            return await _detail(handoff_id, with_context=True)

        return await agent_call(request, work)

    @router.get("/console/api/audit")
    async def audit(request: Request, handoff_id: Annotated[int | None, Query(ge=1)] = None) -> Response:
        async def work(agent: Agent) -> Any:
            return {"entries": await run_in_threadpool(store.audit, handoff_id)}

        return await agent_call(request, work)

    @router.post("/console/api/handoffs/{handoff_id}/claim")
    async def claim(request: Request, handoff_id: Annotated[int, Path(ge=1)]) -> Response:
        async def work(agent: Agent) -> Any:
            handoff = await run_in_threadpool(store.claim, handoff_id, agent)
            text = JOINED[handoff["language"]].format(name=agent.name)
            try:
                await rasa.say(handoff["conversation_id"], text, _agent_metadata(agent, "assigned"))
            except RasaUnavailable as down:
                log.warning(
                    "could not tell conversation %s that %s joined: %s", handoff["id"], agent.email, down
                )
            return handoff

        return await agent_call(request, work)

    @router.post("/console/api/handoffs/{handoff_id}/messages")
    async def send(request: Request, handoff_id: Annotated[int, Path(ge=1)], body: AgentMessage) -> Response:
        async def work(agent: Agent) -> Any:
            if looks_like_card_number(body.text):
                raise HandoffError(
                    422,
                    "card_number_refused",
                    "That looks like a card number: agents never send or see full card numbers. "
                    "Ask the user to use the secure card form instead.",
                )
            handoff = await run_in_threadpool(store.holding, handoff_id, agent)
            await rasa.say(handoff["conversation_id"], body.text, _agent_metadata(agent, "assigned"))
            await run_in_threadpool(store.record, agent.email, "agent_message", handoff, {"text": body.text})
            return {"sent": True}

        return await agent_call(request, work)

    @router.post("/console/api/handoffs/{handoff_id}/typing")
    async def typing(request: Request, handoff_id: Annotated[int, Path(ge=1)], body: Typing) -> Response:
        async def work(agent: Agent) -> Any:
            handoff = await run_in_threadpool(store.holding, handoff_id, agent)
            await rasa.typing(handoff["conversation_id"], agent.name, body.typing)
            return {"typing": body.typing}

        return await agent_call(request, work)

    @router.post("/console/api/handoffs/{handoff_id}/handback")
    async def hand_back(request: Request, handoff_id: Annotated[int, Path(ge=1)], body: HandBack) -> Response:
        async def work(agent: Agent) -> Any:
            handoff = await run_in_threadpool(store.hand_back, handoff_id, agent, body.mode)
            try:
                await rasa.give_back(handoff["conversation_id"], body.mode, handoff["language"])
            except RasaUnavailable as down:
                await run_in_threadpool(store.undo_hand_back, handoff_id, agent, str(down))
                raise
            return handoff

        return await agent_call(request, work)

    # --- live streams (server-sent events) --------------------------------------------------------
    @router.get("/console/api/queue/stream")
    async def queue_stream(request: Request) -> Response:
        agent = agent_from(request)
        if isinstance(agent, JSONResponse):
            return agent

        async def snapshot() -> Any:
            return await run_in_threadpool(store.queue)

        return _stream(request, snapshot, volatile=("waiting_seconds",))

    @router.get("/console/api/handoffs/{handoff_id}/stream")
    async def handoff_stream(request: Request, handoff_id: Annotated[int, Path(ge=1)]) -> Response:
        agent = agent_from(request)
        if isinstance(agent, JSONResponse):
            return agent
        try:
            await run_in_threadpool(store.get, handoff_id)
        except HandoffError as refused:
            return error(refused.status, refused.code, refused.message)

        async def snapshot() -> Any:
            return await _detail(handoff_id, with_context=False)

        return _stream(request, snapshot, volatile=("waiting_seconds",))

    async def _detail(handoff_id: int, with_context: bool) -> dict[str, Any]:
        handoff = await run_in_threadpool(store.get, handoff_id)
        try:
            events = await feed.events(handoff["conversation_id"])
        except RasaUnavailable:
            events = []
        result: dict[str, Any] = {
            "handoff": handoff,
            "transcript": context.transcript(events),
            "tried": context.setbacks(events),
            "user_typing": board.is_typing(handoff["conversation_id"]),
        }
        if with_context:
            roles = [r for r in handoff["roles"].split(",") if r]
            result["context"] = await context.billing_context(
                settings.billing_url, settings.token_rules, handoff["user"], handoff["tenant"], roles
            )
            result["context"]["failed_payments"] = context.slots(events).get("failed_attempts") or 0
        return result

    return router


def _agent_metadata(agent: Agent, state: str) -> dict[str, Any]:
    return {
        "agent_name": agent.name,
        "sender_role": "agent",
        "handoff": {"state": state, "agent_name": agent.name},
    }


def _position(store: HandoffStore, handoff_id: int) -> int:
    waiting = store.waiting()
    ids = [h["id"] for h in waiting]
    return ids.index(handoff_id) + 1 if handoff_id in ids else 1


def _stream(request: Request, snapshot: Callable[[], Awaitable[Any]], volatile: tuple[str, ...]) -> Response:
    """Sends the snapshot whenever it changes (ignoring ever-ticking fields), a heartbeat otherwise."""

    async def events() -> AsyncIterator[str]:
        last = ""
        quiet = 0.0
        while not await request.is_disconnected():
            data = await snapshot()
            digest = hashlib.sha256(json.dumps(_stable(data, volatile), sort_keys=True).encode()).hexdigest()
            if digest != last:
                last = digest
                quiet = 0.0
                yield f"data: {json.dumps(data)}\n\n"
            elif quiet >= 15:
                quiet = 0.0
                yield ": heartbeat\n\n"
            await asyncio.sleep(STREAM_INTERVAL)
            quiet += STREAM_INTERVAL

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _stable(value: Any, volatile: tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        return {k: _stable(v, volatile) for k, v in value.items() if k not in volatile}
    if isinstance(value, list):
        return [_stable(v, volatile) for v in value]
    return value
