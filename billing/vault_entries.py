"""Short-lived, single-use vault tokens for card data typed into the chat.

The input channel posts a card number or security code here the moment it sees one; the
conversation then carries only the token. A card number entry keeps the keyed fingerprint,
brand, last four and processor profile; a security code entry keeps only that a well-formed code
was given (its length). Neither keeps the digits.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from billing import vault
from billing.clock import as_utc
from billing.errors import Invalid
from billing.models import VaultEntry
from security.tokens import Principal

LIFETIME = timedelta(minutes=15)


def store_card_number(
    session: Session, principal: Principal, number: str, now: datetime, fingerprint_secret: str
) -> VaultEntry:
    pan = vault.normalize_pan(number)
    vaulted = vault.tokenize(pan, fingerprint_secret)
    del pan
    entry = VaultEntry(
        token="pan_" + secrets.token_urlsafe(18),
        kind="card_number",
        user_id=principal.user_id,
        tenant_id=principal.tenant_id,
        fingerprint=vaulted.fingerprint,
        brand=vaulted.brand,
        last4=vaulted.last4,
        processor_profile=vaulted.processor_profile,
        code_length=None,
        created_at=now,
        expires_at=now + LIFETIME,
    )
    session.add(entry)
    session.execute(delete(VaultEntry).where(VaultEntry.expires_at < now))
    return entry


def store_security_code(session: Session, principal: Principal, cvc: str, now: datetime) -> VaultEntry:
    if not (cvc.isascii() and cvc.isdigit() and len(cvc) in (3, 4)):
        raise Invalid("invalid_cvc", "The security code has 3 digits (4 for American Express).")
    entry = VaultEntry(
        token="cvc_" + secrets.token_urlsafe(18),
        kind="security_code",
        user_id=principal.user_id,
        tenant_id=principal.tenant_id,
        fingerprint=None,
        brand=None,
        last4=None,
        processor_profile=None,
        code_length=len(cvc),
        created_at=now,
        expires_at=now + LIFETIME,
    )
    session.add(entry)
    return entry


def take(session: Session, principal: Principal, token: str, kind: str, now: datetime) -> VaultEntry:
    """Use a token once: it must be the caller's, of that kind, and not expired."""
    entry = session.get(VaultEntry, token)
    if entry is None or entry.user_id != principal.user_id or entry.kind != kind:
        raise Invalid("unknown_vault_token", "This card detail token is unknown: enter it again.")
    if as_utc(entry.expires_at) < now:
        session.delete(entry)
        raise Invalid("vault_token_expired", "The card details were entered too long ago: enter them again.")
    session.delete(entry)
    return entry
