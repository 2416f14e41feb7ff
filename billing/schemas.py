"""Wire formats of the billing API (pydantic 2)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

VaultToken = Annotated[str, StringConstraints(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Id = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Money(BaseModel):
    amount: str = Field(examples=["151.20"])
    currency: str = Field(examples=["EUR"])


class CardSummary(BaseModel):
    """A card as the caller may see it: full details only for its owner."""

    brand: str
    last4: str
    owned_by_caller: bool
    id: str | None = None
    exp_month: int | None = None
    exp_year: int | None = None
    holder_name: str | None = None
    expired: bool | None = None


class SubscriptionOut(BaseModel):
    id: str
    product: str
    licences: int
    state: Literal["active", "past_due", "disabled"]
    outstanding: Money
    past_due_reason: str | None
    last_failed_at: datetime | None
    payment_method: CardSummary | None


class SubscriptionList(BaseModel):
    subscriptions: list[SubscriptionOut]


class CardList(BaseModel):
    payment_methods: list[CardSummary]


class Me(BaseModel):
    user_id: str
    display_name: str
    tenant_id: str
    tenant_name: str
    roles: list[str]
    can_pay: bool
    locale: str


class AddCard(Strict):
    """A card typed in the secure form (number, cvc) or vaulted by the chat channel (tokens)."""

    number: Annotated[str, StringConstraints(min_length=12, max_length=30)] | None = None
    card_number_token: VaultToken | None = None
    exp_month: int
    exp_year: int
    cvc: Annotated[str, StringConstraints(min_length=1, max_length=8)] | None = None
    security_code_token: VaultToken | None = None
    # No control characters: PostgreSQL refuses NUL in text, and a name has no use for them.
    holder_name: Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$"
        ),
    ]

    @model_validator(mode="after")
    def _number_and_code_given_once(self) -> AddCard:
        if (self.number is None) == (self.card_number_token is None):
            raise ValueError("give either number or card_number_token")
        if (self.cvc is None) == (self.security_code_token is None):
            raise ValueError("give either cvc or security_code_token")
        return self


class UpdateExpiry(Strict):
    exp_month: int
    exp_year: int
    cvc: Annotated[str, StringConstraints(min_length=1, max_length=8)] | None = None
    security_code_token: VaultToken | None = None

    @model_validator(mode="after")
    def _code_given_once(self) -> UpdateExpiry:
        if (self.cvc is None) == (self.security_code_token is None):
            raise ValueError("give either cvc or security_code_token")
        return self


class Settle(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payment_method_id: Id
    # The amount the user confirmed; refused if the balance differs.
    amount: Annotated[Decimal, Field(gt=0, le=1_000_000, decimal_places=2)] | None = None


class SettleResult(BaseModel):
    charge_id: str
    subscription_id: str
    status: Literal["succeeded"]
    amount: Money
    receipt_ref: str
    payment_method: CardSummary
    also_updated: list[str] = Field(description="Other subscriptions now paid by this card.")


class ChargeOut(BaseModel):
    id: str
    subscription_id: str
    amount: Money
    outcome: str
    decline_code: str | None
    receipt_ref: str | None
    created_at: datetime


class VaultCardNumber(Strict):
    number: Annotated[str, StringConstraints(min_length=12, max_length=30)]


class VaultSecurityCode(Strict):
    cvc: Annotated[str, StringConstraints(min_length=1, max_length=8)]


class VaultTokenOut(BaseModel):
    """A single-use token standing for card data typed in the chat (15 minutes)."""

    token: str
    kind: Literal["card_number", "security_code"]
    brand: str | None = None
    last4: str | None = None
    expires_at: datetime
