"""Web tests: the portal app in-process on a throwaway database (migrated and seeded as `python -m web
serve` does), talking to a real billing service on its own throwaway database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.stack import billing_service
from tests.web.web_support import web_database, web_settings
from web.app import create_app


@pytest.fixture(scope="session")
def billing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with billing_service(tmp_path_factory.mktemp("web-billing")) as (service, _url):
        yield service.url


@pytest.fixture
async def portal(billing: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = web_settings(
        WEB_DATABASE_URL=web_database(tmp_path / "web.db"),
        BILLING_URL=billing,
        PORTAL_ORIGIN="http://portal.test",
    )
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as client:
        yield client
