"""Action tests: real rasa-sdk trackers and dispatchers against the real billing service."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.support.stack import ROOT, DemoDataReset, billing_service, mint_token


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
    """Every test starts from the demo data of DESIGN.md."""
    demo_reset()
    monkeypatch.setattr("actions.billing_client.BILLING_URL", billing["url"])


@pytest.fixture(scope="session")
def tokens(billing: dict[str, str]) -> dict[str, str]:
    users = ["alice@contoso.com", "bob@contoso.com", "carol@contoso.com", "dave@fabrikam.com"]
    return {user.split("@")[0]: mint_token(billing["database_url"], user) for user in users}


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "domain.yml").read_text()))
