"""The web service's application factory: the portal and the widget's APIs, the agent console and the
handoff API, over one database (already migrated: `python -m web migrate`), one clock and one client
of Rasa."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from web import errors, portal
from web.clock import Clock, utcnow
from web.db import make_engine
from web.handoff import assistant_api, console_api, console_pages, streams, widget_api
from web.handoff.agents import Agents
from web.handoff.feed import BrokerFeed, ConversationFeed, EventLog, RasaFeed
from web.handoff.monitor import HandoffMonitor
from web.handoff.queue import HandoffQueue
from web.handoff.throttle import SigninLimits, SigninThrottle
from web.handoff.transitions import Transitions
from web.handoff.typing import TypingBoard
from web.rasa_client import RasaClient
from web.services import Services
from web.settings import WebSettings
from web.users import UserDirectory

ROOT = Path(__file__).resolve().parents[1]
STATIC = Path(__file__).parent / "static"
SOCKET_IO = ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"


def create_app(
    settings: WebSettings,
    clock: Clock = utcnow,
    rasa: RasaClient | None = None,
    feed: ConversationFeed | None = None,
) -> FastAPI:
    """The web app on `settings.database_url`, reading the time from `clock` (the system's by default),
    talking to `rasa` (default: Rasa at `settings.rasa_url`); the console reads conversations from
    `feed` (default: the broker's copy when RabbitMQ is configured, else Rasa's tracker)."""
    svc = services(settings, clock, rasa, feed)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(svc.monitor.run())] if settings.handoff_monitor else []
        if isinstance(svc.feed, BrokerFeed):
            tasks.append(asyncio.create_task(svc.feed.run()))
        yield
        for task in tasks:
            task.cancel()
        svc.engine.dispose()

    app = FastAPI(title="Portal", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.services = svc
    for module in (portal, assistant_api, widget_api, console_pages, console_api, streams):
        app.include_router(module.router)
    errors.install(app)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=[settings.portal_origin],
        allow_credentials=True,
        allow_methods=["GET", "POST"],
    )

    @app.get("/vendor/socket.io.min.js", include_in_schema=False)
    def socket_io() -> FileResponse:
        return FileResponse(SOCKET_IO, media_type="text/javascript")

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    app.mount("/", StaticFiles(directory=STATIC), name="static")
    return app


def services(
    settings: WebSettings, clock: Clock, rasa: RasaClient | None, feed: ConversationFeed | None
) -> Services:
    engine = make_engine(settings.database_url)
    rasa = rasa or RasaClient(settings.rasa_url, settings.rasa_jwt_secret)
    if feed is None:
        feed = (
            BrokerFeed(
                EventLog(engine), settings.rabbitmq_url, settings.rabbitmq_queue, settings.rabbitmq_exchange
            )
            if settings.rabbitmq_host
            else RasaFeed(rasa)
        )
    queue = HandoffQueue(engine, clock)
    transitions = Transitions(engine, settings.handoff_timeout_seconds, clock)
    return Services(
        settings=settings,
        clock=clock,
        engine=engine,
        users=UserDirectory(engine),
        agents=Agents(engine),
        queue=queue,
        transitions=transitions,
        throttle=SigninThrottle(engine, SigninLimits.from_settings(settings), clock),
        rasa=rasa,
        feed=feed,
        board=TypingBoard(),
        monitor=HandoffMonitor(queue, transitions, rasa, feed),
    )
