"""Payment methods: list the caller's own, add one, change the expiry of one they own."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing import audit, processor, vault, vault_entries
from billing.errors import Forbidden, NotFound, PaymentFailed
from billing.models import PaymentMethod
from billing.schemas import AddCard, UpdateExpiry
from security.tokens import Principal


def require_billing_role(principal: Principal) -> None:
    if not principal.can_pay:
        raise Forbidden(
            "billing_role_required",
            "Only a Global admin or a Billing admin can see or pay billing details.",
        )


def own_cards(session: Session, principal: Principal) -> list[PaymentMethod]:
    return list(
        session.scalars(
            select(PaymentMethod)
            .where(
                PaymentMethod.tenant_id == principal.tenant_id,
                PaymentMethod.owner_user_id == principal.user_id,
                PaymentMethod.status == "active",
            )
            .order_by(PaymentMethod.created_at)
        )
    )


def tenant_card(session: Session, principal: Principal, card_id: str) -> PaymentMethod:
    """A card of the caller's tenant; another tenant's card is reported as unknown."""
    card = session.get(PaymentMethod, card_id)
    if card is None or card.tenant_id != principal.tenant_id or card.status != "active":
        raise NotFound("payment_method_not_found", "No such payment method.")
    return card


def owned_card(session: Session, principal: Principal, card_id: str) -> PaymentMethod:
    card = tenant_card(session, principal, card_id)
    if card.owner_user_id != principal.user_id:
        raise Forbidden(
            "not_card_owner",
            "Only the admin who added this card can use, retry or change it.",
        )
    return card


def add_card(
    session: Session, principal: Principal, body: AddCard, now: datetime, fingerprint_secret: str
) -> tuple[PaymentMethod, bool]:
    """Vault a new card for the caller; (card, created). The same card twice is updated."""
    vaulted = _vaulted_number(session, principal, body, now, fingerprint_secret)
    month, year = vault.check_expiry(body.exp_month, body.exp_year, now.date())
    _check_security_code(session, principal, body.cvc, body.security_code_token, vaulted.brand, now)
    existing = session.scalars(
        select(PaymentMethod).where(
            PaymentMethod.owner_user_id == principal.user_id,
            PaymentMethod.fingerprint == vaulted.fingerprint,
            PaymentMethod.status == "active",
        )
    ).first()
    if existing is not None:
        existing.exp_month, existing.exp_year = month, year
        existing.holder_name = body.holder_name
        audit.record(
            session,
            at=now,
            actor=principal.user_id,
            tenant_id=principal.tenant_id,
            action="payment_method.readded",
            target=existing.id,
        )
        return existing, False
    card = PaymentMethod(
        id="pm_" + secrets.token_hex(8),
        tenant_id=principal.tenant_id,
        owner_user_id=principal.user_id,
        vault_token=vaulted.token,
        fingerprint=vaulted.fingerprint,
        brand=vaulted.brand,
        last4=vaulted.last4,
        exp_month=month,
        exp_year=year,
        holder_name=body.holder_name,
        processor_profile=vaulted.processor_profile,
        status="active",
        created_at=now,
    )
    session.add(card)
    audit.record(
        session,
        at=now,
        actor=principal.user_id,
        tenant_id=principal.tenant_id,
        action="payment_method.added",
        target=card.id,
        brand=card.brand,
        last4=card.last4,
    )
    return card, True


def update_expiry(
    session: Session, principal: Principal, card_id: str, body: UpdateExpiry, now: datetime
) -> PaymentMethod:
    """Change the expiry of a card the caller owns; the security code is checked again."""
    card = owned_card(session, principal, card_id)
    month, year = vault.check_expiry(body.exp_month, body.exp_year, now.date())
    _check_security_code(session, principal, body.cvc, body.security_code_token, card.brand, now)
    check = processor.verify_security_code(card)
    if not check.succeeded:
        raise PaymentFailed(check.decline_code or "card_declined", check.message)
    before = f"{card.exp_month:02d}/{card.exp_year}"
    card.exp_month, card.exp_year = month, year
    audit.record(
        session,
        at=now,
        actor=principal.user_id,
        tenant_id=principal.tenant_id,
        action="payment_method.expiry_updated",
        target=card.id,
        before=before,
        after=f"{month:02d}/{year}",
    )
    return card


def _vaulted_number(
    session: Session, principal: Principal, body: AddCard, now: datetime, fingerprint_secret: str
) -> vault.VaultedCard:
    """The card from the secure form's number, or from a token the chat channel vaulted."""
    if body.number is not None:
        return vault.tokenize(vault.normalize_pan(body.number), fingerprint_secret)
    entry = vault_entries.take(session, principal, body.card_number_token or "", "card_number", now)
    return vault.VaultedCard(
        token="tok_" + secrets.token_urlsafe(18),
        fingerprint=entry.fingerprint or "",
        brand=entry.brand or "unknown",
        last4=entry.last4 or "",
        processor_profile=entry.processor_profile or "success",
    )


def _check_security_code(
    session: Session, principal: Principal, cvc: str | None, token: str | None, brand: str, now: datetime
) -> None:
    """The code is checked for this card's brand, then forgotten (typed, or vaulted by the chat)."""
    if cvc is not None:
        vault.check_cvc(cvc, brand)
        return
    entry = vault_entries.take(session, principal, token or "", "security_code", now)
    vault.check_cvc("0" * (entry.code_length or 0), brand)
