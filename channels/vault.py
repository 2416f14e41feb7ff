"""Turns card data found in a message into vault tokens, through the billing API."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from channels.redaction import find_card_data

log = logging.getLogger(__name__)
TIMEOUT = httpx.Timeout(5.0, connect=1.0)
SECURITY_CODE_SLOT = "security_code_token"


async def requested_slot(agent: Any, sender_id: str) -> str | None:
    """The slot the conversation is asking for (the security code changes how digits are read)."""
    if agent is None or agent.tracker_store is None:
        return None
    tracker = await agent.tracker_store.retrieve(sender_id)
    return tracker.get_slot("requested_slot") if tracker else None


async def conversation_paused(agent: Any, sender_id: str) -> bool:
    """Whether the conversation is paused for a support agent (queued or held)."""
    if agent is None or agent.tracker_store is None:
        return False
    tracker = await agent.tracker_store.retrieve(sender_id)
    return bool(tracker and tracker.is_paused())


async def redact(
    text: str, metadata: dict[str, Any], agent: Any, sender_id: str, billing_url: str
) -> tuple[str, dict[str, Any]]:
    """The masked text and metadata with a `vault` entry: tokens, brand, last four or an error."""
    if not any(char.isdigit() for char in text or ""):
        return text, metadata  # no card data without digits: no tracker read on the hot path
    asked = await requested_slot(agent, sender_id)
    found = find_card_data(text or "", expecting_security_code=asked == SECURITY_CODE_SLOT)
    if found.text == (text or ""):
        return text, metadata
    vault: dict[str, Any] = {}
    if found.invalid_card_number and not found.card_numbers:
        vault["error"] = "invalid_card_number"
    if found.invalid_security_code:
        vault["error"] = "invalid_cvc"
    token = metadata.get("token")
    headers = {"Authorization": f"Bearer {token}"} if isinstance(token, str) else {}
    try:
        async with httpx.AsyncClient(base_url=billing_url, timeout=TIMEOUT, headers=headers) as client:
            if found.card_numbers:
                entry = await _post(client, "/v1/vault/card-numbers", {"number": found.card_numbers[-1]})
                vault.update(_named(entry, "card_number_token"))
            if found.security_code:
                entry = await _post(client, "/v1/vault/security-codes", {"cvc": found.security_code})
                vault.update(_named(entry, "security_code_token"))
    except httpx.HTTPError as error:
        log.warning("card data masked but not vaulted: %s", type(error).__name__)
        vault["error"] = "vault_unavailable"
    return found.text, {**metadata, "vault": vault}


def _named(entry: dict[str, Any], name: str) -> dict[str, Any]:
    """{name: token, brand, last4} from a vault answer, or {error} when it refused."""
    if "error" in entry:
        return {"error": entry["error"]}
    shown = {key: entry[key] for key in ("brand", "last4") if entry.get(key)}
    return {name: entry["token"], **shown}


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, str]) -> dict[str, Any]:
    response = await client.post(path, json=body)
    payload = response.json()
    if response.status_code >= 400:
        return {"error": payload.get("error", {}).get("code", "refused")}
    return dict(payload)
