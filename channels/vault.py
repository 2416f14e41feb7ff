"""Turns card data found in a message into vault tokens, through the billing API."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable
from typing import Any

from clients.billing import BillingClient, BillingRefused, BillingUnavailable, VaultEntry
from security.cards import BULLETS, find_card_data, partial_card_digits

log = logging.getLogger(__name__)
SECURITY_CODE_SLOT = "security_code_token"
CARD_NUMBER_SLOT = "card_number_token"
HELD_FOR_SECONDS = 120.0
HELD_CONVERSATIONS = 10_000


class FirstParts:
    """The first digits of a card number the user is typing over several messages, per conversation:
    in this process's memory only, for two minutes, never stored. The stored message shows a mask."""

    def __init__(self, ttl: float = HELD_FOR_SECONDS, size: int = HELD_CONVERSATIONS) -> None:
        self._held: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._ttl, self._size = ttl, size

    def take(self, sender_id: str) -> str:
        digits, until = self._held.pop(sender_id, ("", 0.0))
        return digits if time.monotonic() < until else ""

    def hold(self, sender_id: str, digits: str) -> None:
        self._held[sender_id] = (digits, time.monotonic() + self._ttl)
        while len(self._held) > self._size:
            self._held.popitem(last=False)


FIRST_PARTS = FirstParts()


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
    vault: dict[str, Any] = {}
    if asked == CARD_NUMBER_SLOT:
        # A number typed in parts ("4242 4242", then "4242 4242"): joined here, never stored whole.
        first = FIRST_PARTS.take(sender_id)
        # A first part has at least 6 digits; what completes it may be as short as one group.
        part = partial_card_digits(text or "", fewest=1 if first else 6)
        if part is not None:
            joined = find_card_data(first + part) if first else None
            if joined is not None and (joined.card_numbers or joined.invalid_card_number):
                found = joined
                found.text = f"{BULLETS} {(first + part)[-4:]}"
            elif len(first + part) <= 19:
                FIRST_PARTS.hold(sender_id, first + part)
                return BULLETS, {**metadata, "vault": {"error": "partial_card_number"}}
    if found.text == (text or ""):
        return text, metadata
    if found.invalid_card_number and not found.card_numbers:
        vault["error"] = "invalid_card_number"
    if found.invalid_security_code:
        vault["error"] = "invalid_cvc"
    token = metadata.get("token")
    billing = BillingClient(billing_url, token if isinstance(token, str) else None)
    try:
        if found.card_numbers:
            vault.update(await _vaulted(billing.vault_card_number(found.card_numbers[-1]), CARD_NUMBER_SLOT))
        if found.security_code:
            vault.update(await _vaulted(billing.vault_security_code(found.security_code), SECURITY_CODE_SLOT))
    except BillingUnavailable as error:
        log.warning("card data masked but not vaulted: %s", error)
        vault["error"] = "vault_unavailable"
    return found.text, {**metadata, "vault": vault}


async def _vaulted(call: Awaitable[VaultEntry], name: str) -> dict[str, Any]:
    """{name: token, brand, last4} from the vault, or {error: billing's code} when it refused."""
    try:
        entry = await call
    except BillingRefused as refused:
        return {"error": refused.code}
    shown = {key: entry.get(key) for key in ("brand", "last4") if entry.get(key)}
    return {name: entry.get("token"), **shown}
