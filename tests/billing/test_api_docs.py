"""/docs renders from the local swagger-ui-dist package, and the schema says how to call the API."""

from __future__ import annotations

import re

import httpx
import pytest

SETTLE = "/v1/subscriptions/{subscription_id}/settle"


@pytest.fixture
def schema(app) -> dict:
    return app.openapi()


def test_the_schema_declares_the_bearer_token(schema):
    assert schema["components"]["securitySchemes"]["userToken"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": schema["components"]["securitySchemes"]["userToken"]["description"],
    }
    protected = [
        (method, path)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if operation.get("security") != [{"userToken": []}]
    ]
    assert protected == []


def test_the_settle_operation_requires_an_idempotency_key(schema):
    headers = {p["name"]: p for p in schema["paths"][SETTLE]["post"]["parameters"] if p["in"] == "header"}
    assert headers["Idempotency-Key"]["required"] is True
    assert headers["Idempotency-Key"]["schema"]["type"] == "string"
    others = [
        (path, p["name"])
        for path, item in schema["paths"].items()
        for operation in item.values()
        for p in operation.get("parameters", [])
        if p["name"] == "Idempotency-Key" and path != SETTLE
    ]
    assert others == []


async def test_the_docs_page_loads_only_assets_of_this_service(client: httpx.AsyncClient):
    page = await client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text) + re.findall(r"url: '([^']+)'", page.text)
    assert sources and all(s.startswith("/") for s in sources), sources
    for source in sources:
        assert (await client.get(source)).status_code == 200, source


async def test_redoc_is_not_served_half_broken(client: httpx.AsyncClient):
    assert (await client.get("/redoc")).status_code == 404
