"""Amounts, dates and cards written the way each locale reads them."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

BRANDS = {
    "visa": "Visa",
    "mastercard": "Mastercard",
    "amex": "American Express",
    "discover": "Discover",
    "unknown": "Card",
}
NARROW_SPACE = "\u202f"
NO_BREAK_SPACE = "\u00a0"
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


def money(amount: str, currency: str, language: str) -> str:
    """151,20 € in French, €151.20 in English."""
    value = Decimal(amount).quantize(Decimal("0.01"))
    symbol = SYMBOLS.get(currency, currency)
    if language == "fr":
        whole, cents = f"{value:,.2f}".split(".")
        return whole.replace(",", NARROW_SPACE) + "," + cents + NO_BREAK_SPACE + symbol
    return f"{symbol}{value:,.2f}"


def expiry(month: int, year: int) -> str:
    return f"{month:02d}/{year}"


def card(summary: Mapping[str, Any], with_expiry: bool = True) -> str:
    """Visa •••• 4242 (10/2026): never more than brand, last four and expiry."""
    label = f"{BRANDS.get(summary.get('brand', ''), 'Card')} •••• {summary.get('last4', '????')}"
    if with_expiry and summary.get("exp_month") and summary.get("exp_year"):
        label += f" ({expiry(summary['exp_month'], summary['exp_year'])})"
    return label
