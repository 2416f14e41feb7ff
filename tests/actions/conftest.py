"""Action tests: real rasa-sdk trackers and dispatchers against the real billing service."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from actions import config
from assistant.settings import Settings
from tests.support.dates import TODAY
from tests.support.domain import load_domain
from tests.support.stack import DemoDataReset, billing_service, mint_token


@pytest.fixture(scope="session")
def billing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    workdir = tmp_path_factory.mktemp("billing")
    with billing_service(workdir) as (service, database_url):
        os.environ["BILLING_URL"] = service.url
        yield {"url": service.url, "database_url": database_url}


@pytest.fixture(scope="session")
def demo_reset(billing: dict[str, str]) -> Iterator[DemoDataReset]:
    reset = DemoDataReset(billing["database_url"])
    yield reset
    reset.close()


@pytest.fixture(autouse=True)
def fresh_demo_data(
    billing: dict[str, str], demo_reset: DemoDataReset, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every test starts from the demo data of docs/design.md."""
    demo_reset()
    config.configure(Settings(billing_url=billing["url"]))


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> date:
    """The actions' clock on the tests' date (TEST_TODAY, else the system's), the one billing was started
    on and seeded the demo data for (Alice's Visa expired two months before)."""
    monkeypatch.setattr("actions.clock.today", lambda: TODAY)
    return TODAY


@pytest.fixture(scope="session")
def tokens(billing: dict[str, str]) -> dict[str, str]:
    users = ["alice@contoso.com", "bob@contoso.com", "carol@contoso.com", "dave@fabrikam.com"]
    return {user.split("@")[0]: mint_token(billing["database_url"], user) for user in users}


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Rasa warns about slot auto-fill on every domain it loads
        return load_domain()
