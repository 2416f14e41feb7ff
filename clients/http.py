"""What the service clients share: one pooled httpx client per event loop and the error types."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import httpx

# One pooled client per event loop and timeout: a connection per call would cost a TCP handshake each
# time, and an httpx client cannot be used from another loop than the one it was created on.
_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[float, float], httpx.AsyncClient]] = (
    weakref.WeakKeyDictionary()
)


def timeout(seconds: float, connect: float = 1.0) -> httpx.Timeout:
    return httpx.Timeout(seconds, connect=connect)


def pooled(limit: httpx.Timeout) -> httpx.AsyncClient:
    """The running loop's client for this timeout."""
    loop = asyncio.get_running_loop()
    clients = _pools.setdefault(loop, {})
    key = (float(limit.read or 0), float(limit.connect or 0))
    client = clients.get(key)
    if client is None or client.is_closed:
        client = httpx.AsyncClient(timeout=limit, limits=httpx.Limits(max_keepalive_connections=20))
        clients[key] = client
    return client


class ServiceUnavailable(Exception):
    """The service did not answer in time, could not be reached, or answered with a server error or
    with something that is not JSON."""


class ServiceRefused(Exception):
    """The service refused the request (4xx) with a stable code: `{"error": {"code", "message"}}`."""

    def __init__(self, status: int, code: str, message: str, body: dict[str, Any]):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.body = body


async def request_json(
    client: httpx.AsyncClient, method: str, url: str, token: str | None = None, **kwargs: Any
) -> Any:
    """The JSON body of a 2xx answer; `ServiceUnavailable` or `ServiceRefused` otherwise. The status is
    read before the body: a proxy's HTML error page is an unavailable service, not a parse error."""
    headers = dict(kwargs.pop("headers", None) or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = await client.request(method, url, headers=headers, **kwargs)
    except httpx.HTTPError as error:
        raise ServiceUnavailable(type(error).__name__) from None
    if response.status_code >= 500:
        raise ServiceUnavailable(f"answered {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        raise ServiceUnavailable(f"answered {response.status_code} with something that is not JSON") from None
    if response.status_code >= 400:
        refusal = body.get("error", {}) if isinstance(body, dict) else {}
        refusal = refusal if isinstance(refusal, dict) else {}
        code, message = str(refusal.get("code", "refused")), str(refusal.get("message", ""))
        raise ServiceRefused(response.status_code, code, message, refusal)
    return body
