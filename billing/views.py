"""How stored rows are shown to a caller (card details only to their owner)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from billing.models import Charge, PaymentMethod, Subscription
from billing.processor import is_expired
from billing.schemas import CardSummary, ChargeOut, Money, SubscriptionOut
from security.tokens import Principal


def money(cents: int, currency: str) -> Money:
    return Money(amount=str((Decimal(cents) / 100).quantize(Decimal("0.01"))), currency=currency)


def card_summary(card: PaymentMethod, principal: Principal, today: date) -> CardSummary:
    if card.owner_user_id != principal.user_id:
        return CardSummary(brand=card.brand, last4=card.last4, owned_by_caller=False)
    return CardSummary(
        id=card.id,
        brand=card.brand,
        last4=card.last4,
        owned_by_caller=True,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        holder_name=card.holder_name,
        expired=is_expired(card, today),
    )


def subscription_out(
    sub: Subscription, card: PaymentMethod | None, principal: Principal, today: date
) -> SubscriptionOut:
    return SubscriptionOut(
        id=sub.id,
        product=sub.product,
        licences=sub.licences,
        state=sub.state,  # type: ignore[arg-type]
        outstanding=money(sub.outstanding_cents, sub.currency),
        past_due_reason=sub.past_due_reason,
        last_failed_at=sub.last_failed_at,
        payment_method=card_summary(card, principal, today) if card else None,
    )


def charge_out(charge: Charge) -> ChargeOut:
    return ChargeOut(
        id=charge.id,
        subscription_id=charge.subscription_id,
        amount=money(charge.amount_cents, charge.currency),
        outcome=charge.outcome,
        decline_code=charge.decline_code,
        receipt_ref=charge.receipt_ref,
        created_at=charge.created_at,
    )
