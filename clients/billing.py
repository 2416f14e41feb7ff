"""The billing API's client: every Python caller of billing goes through `BillingClient`.

Calls are made on behalf of a signed-in user, whose token is forwarded; billing decides what they may
see and do. Wire formats are billing's (billing/schemas.py), written here as TypedDicts so that this
package depends on httpx only. Errors: `BillingUnavailable` (unreachable, timed out, 5xx, not JSON) and
`BillingRefused` (4xx, with billing's stable `code`)."""

from __future__ import annotations

from typing import Any, Literal, TypedDict, cast

import httpx

from clients.http import ServiceRefused, ServiceUnavailable, pooled, request_json, timeout

DEFAULT_TIMEOUT = timeout(5.0)


class BillingUnavailable(ServiceUnavailable):
    """Billing did not answer in time, or answered with a server error."""


class BillingRefused(ServiceRefused):
    """Billing refused the request with a stable code (4xx)."""


class Money(TypedDict):
    amount: str
    currency: str


class Card(TypedDict, total=False):
    """A card as the caller may see it: brand, last4 and ownership always; the rest for its owner."""

    brand: str
    last4: str
    owned_by_caller: bool
    id: str | None
    exp_month: int | None
    exp_year: int | None
    holder_name: str | None
    expired: bool | None


class Subscription(TypedDict):
    id: str
    product: str
    licences: int
    state: Literal["active", "past_due", "disabled"]
    outstanding: Money
    past_due_reason: str | None
    last_failed_at: str | None
    payment_method: Card | None


class Me(TypedDict):
    user_id: str
    display_name: str
    tenant_id: str
    tenant_name: str
    roles: list[str]
    can_pay: bool
    locale: str


class SettleResult(TypedDict):
    charge_id: str
    subscription_id: str
    status: Literal["succeeded"]
    amount: Money
    receipt_ref: str
    payment_method: Card
    also_updated: list[str]


class VaultEntry(TypedDict, total=False):
    """A single-use token standing for card data typed in the chat (billing's vault, 15 minutes)."""

    token: str
    kind: Literal["card_number", "security_code"]
    brand: str | None
    last4: str | None
    expires_at: str


class BillingClient:
    """Billing on behalf of the user whose token is given (None: anonymous, billing refuses most)."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        limit: httpx.Timeout = DEFAULT_TIMEOUT,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._token = token
        self._limit = limit
        self._http = http

    async def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        client = self._http or pooled(self._limit)
        try:
            body = await request_json(client, method, self._base_url + path, self._token, **kwargs)
        except ServiceRefused as refused:
            raise BillingRefused(refused.status, refused.code, refused.message, refused.body) from None
        except ServiceUnavailable as error:
            raise BillingUnavailable(f"billing: {error}") from None
        if not isinstance(body, dict):
            raise BillingUnavailable("billing answered JSON that is not an object")
        return body

    async def me(self) -> Me:
        return cast(Me, await self._request("GET", "/v1/me"))

    async def subscriptions(self, state: str | None = None) -> list[Subscription]:
        params = {"state": state} if state else None
        body = await self._request("GET", "/v1/subscriptions", params=params)
        return cast(list[Subscription], list(body["subscriptions"]))

    async def past_due_subscriptions(self) -> list[Subscription]:
        return await self.subscriptions("past_due")

    async def subscription(self, subscription_id: str) -> Subscription:
        return cast(Subscription, await self._request("GET", f"/v1/subscriptions/{subscription_id}"))

    async def own_cards(self) -> list[Card]:
        body = await self._request("GET", "/v1/payment-methods")
        return cast(list[Card], list(body["payment_methods"]))

    async def update_expiry(self, card_id: str, month: int, year: int, cvc_token: str) -> Card:
        body = {"exp_month": month, "exp_year": year, "security_code_token": cvc_token}
        return cast(Card, await self._request("PATCH", f"/v1/payment-methods/{card_id}", json=body))

    async def add_card(self, number_token: str, month: int, year: int, cvc_token: str, holder: str) -> Card:
        body = {
            "card_number_token": number_token,
            "exp_month": month,
            "exp_year": year,
            "security_code_token": cvc_token,
            "holder_name": holder,
        }
        return cast(Card, await self._request("POST", "/v1/payment-methods", json=body))

    async def settle(
        self, subscription_id: str, card_id: str, amount: str | None, idempotency_key: str
    ) -> SettleResult:
        body: dict[str, Any] = {"payment_method_id": card_id}
        if amount:
            body["amount"] = amount
        path = f"/v1/subscriptions/{subscription_id}/settle"
        headers = {"Idempotency-Key": idempotency_key}
        return cast(SettleResult, await self._request("POST", path, json=body, headers=headers))

    async def vault_card_number(self, number: str) -> VaultEntry:
        """A token for a card number typed in the chat (the number goes no further than billing)."""
        entry = await self._request("POST", "/v1/vault/card-numbers", json={"number": number})
        return cast(VaultEntry, entry)

    async def vault_security_code(self, cvc: str) -> VaultEntry:
        return cast(VaultEntry, await self._request("POST", "/v1/vault/security-codes", json={"cvc": cvc}))
