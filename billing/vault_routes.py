"""Vault endpoints for card data typed in the chat: the input channel trades it for tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from billing import cards, vault_entries
from billing.deps import Services, principal, services
from billing.errors import BillingError
from billing.schemas import VaultCardNumber, VaultSecurityCode, VaultTokenOut
from security.tokens import Principal

router = APIRouter(prefix="/v1/vault")
Caller = Annotated[Principal, Depends(principal)]
Svc = Annotated[Services, Depends(services)]


@router.post("/card-numbers", response_model=VaultTokenOut, status_code=201)
def vault_card_number(body: VaultCardNumber, caller: Caller, svc: Svc) -> VaultTokenOut:
    """A single-use token for a card number (checked with Luhn; the digits are not kept)."""
    cards.require_billing_role(caller)
    now = svc.clock()
    with svc.sessions.begin() as db:
        svc.guard.check(db, caller.user_id, now)
    try:
        with svc.sessions.begin() as db:
            entry = vault_entries.store_card_number(db, caller, body.number, now, svc.settings.token_secret)
            return VaultTokenOut(
                token=entry.token,
                kind="card_number",
                brand=entry.brand,
                last4=entry.last4,
                expires_at=entry.expires_at,
            )
    except BillingError:
        svc.guard.record_failure(caller.user_id, "card_addition", now)
        raise


@router.post("/security-codes", response_model=VaultTokenOut, status_code=201)
def vault_security_code(body: VaultSecurityCode, caller: Caller, svc: Svc) -> VaultTokenOut:
    """A single-use token for a security code (only its length is kept, to check it per brand)."""
    cards.require_billing_role(caller)
    with svc.sessions.begin() as db:
        entry = vault_entries.store_security_code(db, caller, body.cvc, svc.clock())
        return VaultTokenOut(token=entry.token, kind="security_code", expires_at=entry.expires_at)
