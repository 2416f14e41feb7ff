"""Payment processor simulator: answers like the public test cards do."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from billing.models import PaymentMethod

DECLINE_MESSAGES = {
    "card_declined": "The bank declined the card.",
    "insufficient_funds": "The card has insufficient funds.",
    "expired_card": "The card has expired.",
    "incorrect_cvc": "The security code is incorrect.",
    "processing_error": "A processing error occurred; trying again may work.",
}


@dataclass(frozen=True)
class ChargeResult:
    succeeded: bool
    decline_code: str | None = None
    receipt_ref: str | None = None

    @property
    def message(self) -> str:
        return "Payment accepted." if self.succeeded else DECLINE_MESSAGES[self.decline_code or ""]


def is_expired(card: PaymentMethod, today: date) -> bool:
    return (card.exp_year, card.exp_month) < (today.year, today.month)


def charge(card: PaymentMethod, amount_cents: int, today: date) -> ChargeResult:
    """Charge `amount_cents` on a vaulted card."""
    if amount_cents <= 0:
        raise ValueError("amount must be positive")
    if is_expired(card, today):
        return ChargeResult(False, "expired_card")
    if card.processor_profile != "success":
        return ChargeResult(False, card.processor_profile)
    return ChargeResult(True, receipt_ref=f"RCPT-{today:%Y%m%d}-{secrets.token_hex(4).upper()}")


def verify_security_code(card: PaymentMethod) -> ChargeResult:
    """A zero-amount check made when a card change is saved with its security code."""
    if card.processor_profile == "incorrect_cvc":
        return ChargeResult(False, "incorrect_cvc")
    return ChargeResult(True)
