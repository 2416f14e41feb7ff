"""Web tests: the portal app in-process, talking to a real billing service on a throwaway database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.stack import TEST_SECRET, billing_service
from web.app import create_app
from web.settings import WebSettings


@pytest.fixture(scope="session")
def billing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with billing_service(tmp_path_factory.mktemp("web-billing")) as (service, _url):
        yield service.url


@pytest.fixture
async def portal(billing: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = WebSettings(  # type: ignore[call-arg]
        _env_file=None,
        WEB_DATABASE_URL=f"sqlite:///{tmp_path / 'web.db'}",
        HANDOFF_MONITOR=False,
        AUTH_TOKEN_SECRET=TEST_SECRET,
        BILLING_URL=billing,
        RASA_URL="http://127.0.0.1:9",
        RASA_JWT_SECRET="j" * 32,
        PORTAL_ORIGIN="http://portal.test",
    )
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as client:
        yield client
