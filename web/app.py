"""The portal web service: sign-in, the products page, the widget's assets and session API."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import httpx
from fastapi import Cookie, FastAPI, Form, Query
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from billing import seed
from billing.db import make_engine
from security import tokens
from web import history, pages
from web.handoff.api import build_router
from web.handoff.feed import BrokerFeed, ConversationFeed, EventLog, RasaFeed
from web.handoff.models import create_schema
from web.handoff.monitor import HandoffMonitor
from web.handoff.rasa import RasaGateway
from web.handoff.store import HandoffStore
from web.session import signed_in
from web.settings import WebSettings

ROOT = Path(__file__).resolve().parents[1]
STATIC = Path(__file__).parent / "static"
SOCKET_IO = ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
COOKIE = "portal_session"
ROLE_NAMES = {"global_admin": "Global admin", "billing_admin": "Billing admin", "user": "User"}
Lang = Annotated[str, Query(pattern="^(fr|en)$")]
AGENTS = [("agent1@support.example", "Agent One"), ("agent2@support.example", "Agent Two")]


def create_app(
    settings: WebSettings,
    store: HandoffStore | None = None,
    rasa: RasaGateway | None = None,
    feed: ConversationFeed | None = None,
) -> FastAPI:
    if store is None:
        engine = make_engine(settings.database_url)
        create_schema(engine)
        store = HandoffStore(engine, settings.handoff_timeout_seconds)
        store.seed_agents(AGENTS, settings.agent_demo_password)
    rasa = rasa or RasaGateway(settings.rasa_url, settings.rasa_jwt_secret)
    if feed is None:
        feed = (
            BrokerFeed(
                EventLog(store.engine),
                settings.rabbitmq_url,
                settings.rabbitmq_queue,
                settings.rabbitmq_exchange,
            )
            if settings.rabbitmq_host
            else RasaFeed(rasa)
        )
    monitor = HandoffMonitor(store, rasa, feed)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(monitor.run())] if settings.handoff_monitor else []
        if isinstance(feed, BrokerFeed):
            tasks.append(asyncio.create_task(feed.run()))
        yield
        for task in tasks:
            task.cancel()

    app = FastAPI(title="Portal", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.handoffs = store
    app.state.monitor = monitor
    app.state.feed = feed
    app.include_router(build_router(settings, store, rasa, feed))
    app.add_middleware(
        CORSMiddleware,
        allow_origins=[settings.portal_origin],
        allow_credentials=True,
        allow_methods=["GET", "POST"],
    )

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/portal", status_code=303)

    @app.get("/signin", response_class=HTMLResponse)
    def signin_page(lang: Lang = "en") -> str:
        users = [(uid, name, ROLE_NAMES[role]) for uid, _tid, name, role, _loc in seed.USERS]
        return pages.signin(lang, users)

    @app.post("/signin")
    def signin(
        user: Annotated[str, Form(max_length=254)], lang: Annotated[str, Form(pattern="^(fr|en)$")] = "en"
    ) -> Response:
        known = {uid: (tid, role) for uid, tid, _name, role, _loc in seed.USERS}
        if user not in known:
            return HTMLResponse("Unknown demo user.", status_code=400)
        tenant, role = known[user]
        rules = settings.token_rules
        token = tokens.mint(
            rules.secret,
            user,
            tenant,
            [role],
            ttl_seconds=settings.token_ttl_seconds,
            issuer=rules.issuer,
            audience=rules.audience,
        )
        response = RedirectResponse(f"/portal?lang={lang}", status_code=303)
        response.set_cookie(
            COOKIE,
            token,
            max_age=settings.token_ttl_seconds,
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
        )
        return response

    @app.post("/signout")
    def signout() -> RedirectResponse:
        response = RedirectResponse("/signin", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    async def billing_view(token: str) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
        """The signed-in user and, when they may see billing, their subscriptions."""
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=settings.billing_url, timeout=10, headers=headers) as client:
            me = (await client.get("/v1/me")).json()
            subscriptions = None
            if me.get("can_pay"):
                subscriptions = (await client.get("/v1/subscriptions")).json()["subscriptions"]
        return me, subscriptions

    @app.get("/portal", response_class=HTMLResponse)
    async def portal(
        lang: Lang | None = None, portal_session: Annotated[str | None, Cookie()] = None
    ) -> Response:
        caller = signed_in(portal_session, settings.token_rules)
        if caller is None or portal_session is None:
            return RedirectResponse(f"/signin?lang={lang or 'en'}", status_code=303)
        me, subscriptions = await billing_view(portal_session)
        return HTMLResponse(pages.portal(lang or me.get("locale", "en"), me, subscriptions))

    @app.get("/portal/products", response_class=HTMLResponse)
    async def portal_products(
        lang: Lang = "en", portal_session: Annotated[str | None, Cookie()] = None
    ) -> Response:
        """The products list alone, for the page to refresh itself (after a payment in the widget)."""
        caller = signed_in(portal_session, settings.token_rules)
        if caller is None or portal_session is None:
            return JSONResponse(
                {"error": {"code": "signed_out", "message": "Sign in first."}}, status_code=401
            )
        try:
            _me, subscriptions = await billing_view(portal_session)
        except httpx.HTTPError:
            return JSONResponse(
                {"error": {"code": "billing_unavailable", "message": "Billing is not reachable."}},
                status_code=503,
            )
        return HTMLResponse(pages.products(lang, subscriptions), headers={"Cache-Control": "no-store"})

    @app.get("/api/session")
    def session(portal_session: Annotated[str | None, Cookie()] = None) -> JSONResponse:
        caller = signed_in(portal_session, settings.token_rules)
        if caller is None:
            return JSONResponse(
                {"error": {"code": "signed_out", "message": "Sign in first."}}, status_code=401
            )
        user = next(u for u in seed.USERS if u[0] == caller.user_id)
        return JSONResponse(
            {
                "token": portal_session,
                "user": caller.user_id,
                "display_name": user[2],
                "locale": user[4],
                "socket_url": settings.rasa_public_url,
                "socket_transports": settings.socket_transports.split(","),
                "billing_url": settings.billing_public_url,
            }
        )

    @app.get("/api/history")
    async def chat_history(
        session_id: Annotated[str, Query(pattern=r"^[A-Za-z0-9_-]{8,64}$")],
        portal_session: Annotated[str | None, Cookie()] = None,
    ) -> JSONResponse:
        caller = signed_in(portal_session, settings.token_rules)
        if caller is None:
            return JSONResponse(
                {"error": {"code": "signed_out", "message": "Sign in first."}}, status_code=401
            )
        try:
            events = await history.fetch(settings.rasa_url, settings.rasa_jwt_secret, session_id)
        except httpx.HTTPError:
            return JSONResponse(
                {"error": {"code": "assistant_unavailable", "message": "The assistant is not reachable."}},
                status_code=503,
            )
        if history.owner(events) not in (None, caller.user_id):
            return JSONResponse(
                {"error": {"code": "not_found", "message": "No such conversation."}}, status_code=404
            )
        return JSONResponse({"messages": history.transcript(events)})

    @app.get("/vendor/socket.io.min.js", include_in_schema=False)
    def socket_io() -> FileResponse:
        return FileResponse(SOCKET_IO, media_type="text/javascript")

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, Any]:
        return {"status": "ok"}

    app.mount("/", StaticFiles(directory=STATIC), name="static")
    return app
