"""The one module that speaks HTTP to the billing API: short timeouts, typed errors."""

from __future__ import annotations

import asyncio
import os
import weakref
from typing import Any

import httpx

BILLING_URL = os.environ.get("BILLING_URL", "http://127.0.0.1:8081")
TIMEOUT = httpx.Timeout(float(os.environ.get("BILLING_TIMEOUT_SECONDS", "5")), connect=1.0)


# One pooled client per event loop: a connection per call would cost a TCP handshake each time.
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)


def _shared_client() -> httpx.AsyncClient:
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None or client.is_closed:
        client = httpx.AsyncClient(timeout=TIMEOUT, limits=httpx.Limits(max_keepalive_connections=20))
        _clients[loop] = client
    return client


class BillingUnavailable(Exception):
    """Billing did not answer in time, or answered with a server error."""


class BillingRefused(Exception):
    """Billing refused the request with a stable code (4xx)."""

    def __init__(self, status: int, code: str, message: str, body: dict[str, Any]):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.body = body


class BillingClient:
    """Calls billing on behalf of the signed-in user, whose token it forwards."""

    def __init__(self, token: str | None, base_url: str | None = None):
        self._token = token
        self._base_url = base_url or BILLING_URL

    async def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        headers = dict(kwargs.pop("headers", {}))
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        try:
            response = await _shared_client().request(
                method, self._base_url + path, headers=headers, **kwargs
            )
        except httpx.HTTPError as error:
            raise BillingUnavailable(str(error) or type(error).__name__) from None
        if response.status_code >= 500:
            raise BillingUnavailable(f"billing answered {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise BillingUnavailable("billing answered something that is not JSON") from None
        if response.status_code >= 400:
            refusal = body.get("error", {}) if isinstance(body, dict) else {}
            code, message = str(refusal.get("code", "refused")), str(refusal.get("message", ""))
            raise BillingRefused(response.status_code, code, message, refusal)
        return body if isinstance(body, dict) else {"items": body}

    async def me(self) -> dict[str, Any]:
        return await self._request("GET", "/v1/me")

    async def past_due_subscriptions(self) -> list[dict[str, Any]]:
        body = await self._request("GET", "/v1/subscriptions", params={"state": "past_due"})
        return list(body["subscriptions"])

    async def subscription(self, subscription_id: str) -> dict[str, Any]:
        return await self._request("GET", f"/v1/subscriptions/{subscription_id}")

    async def own_cards(self) -> list[dict[str, Any]]:
        body = await self._request("GET", "/v1/payment-methods")
        return list(body["payment_methods"])

    async def update_expiry(self, card_id: str, month: int, year: int, cvc_token: str) -> dict[str, Any]:
        return await self._request(
            "PATCH",
            f"/v1/payment-methods/{card_id}",
            json={"exp_month": month, "exp_year": year, "security_code_token": cvc_token},
        )

    async def add_card(
        self, number_token: str, month: int, year: int, cvc_token: str, holder: str
    ) -> dict[str, Any]:
        return await self._request(
            "POST",
            "/v1/payment-methods",
            json={
                "card_number_token": number_token,
                "exp_month": month,
                "exp_year": year,
                "security_code_token": cvc_token,
                "holder_name": holder,
            },
        )

    async def settle(
        self, subscription_id: str, card_id: str, amount: str | None, idempotency_key: str
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"payment_method_id": card_id}
        if amount:
            body["amount"] = amount
        return await self._request(
            "POST",
            f"/v1/subscriptions/{subscription_id}/settle",
            json=body,
            headers={"Idempotency-Key": idempotency_key},
        )
