"""HTTP routes of the billing API, all scoped to the caller's tenant."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.responses import JSONResponse
from sqlalchemy import case, select
from sqlalchemy.orm import Session

from billing import cards
from billing.deps import Services, principal, read_session, services
from billing.errors import BillingError, NotFound
from billing.models import Charge, PaymentMethod, Subscription, Tenant, User
from billing.schemas import (
    AddCard,
    CardList,
    CardSummary,
    ChargeOut,
    Id,
    Me,
    Settle,
    SettleResult,
    SubscriptionList,
    SubscriptionOut,
    UpdateExpiry,
)
from billing.views import card_summary, charge_out, subscription_out
from security.tokens import Principal

router = APIRouter(prefix="/v1")
Caller = Annotated[Principal, Depends(principal)]
Db = Annotated[Session, Depends(read_session)]
Svc = Annotated[Services, Depends(services)]
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": "A refusal: {error: {code, message}}"} for code in (401, 403, 404, 422)
}


@router.get("/me", response_model=Me, responses=ERRORS)
def me(caller: Caller, db: Db) -> Me:
    user = db.get(User, caller.user_id)
    tenant = db.get(Tenant, caller.tenant_id)
    assert user is not None and tenant is not None
    return Me(
        user_id=user.id,
        display_name=user.display_name,
        tenant_id=tenant.id,
        tenant_name=tenant.name,
        roles=list(caller.roles),
        can_pay=caller.can_pay,
        locale=user.locale,
    )


@router.get("/subscriptions", response_model=SubscriptionList, responses=ERRORS)
def list_subscriptions(
    caller: Caller,
    db: Db,
    svc: Svc,
    state: Annotated[Literal["active", "past_due", "disabled"] | None, Query()] = None,
) -> SubscriptionList:
    """The tenant's subscriptions, past-due first."""
    cards.require_billing_role(caller)
    query = select(Subscription).where(Subscription.tenant_id == caller.tenant_id)
    if state:
        query = query.where(Subscription.state == state)
    query = query.order_by(case((Subscription.state == "past_due", 0), else_=1), Subscription.product)
    subs = db.scalars(query).all()
    card_ids = {s.payment_method_id for s in subs if s.payment_method_id}
    by_id = {c.id: c for c in db.scalars(select(PaymentMethod).where(PaymentMethod.id.in_(card_ids)))}
    today = svc.clock().date()
    return SubscriptionList(
        subscriptions=[subscription_out(s, by_id.get(s.payment_method_id or ""), caller, today) for s in subs]
    )


@router.get("/subscriptions/{subscription_id}", response_model=SubscriptionOut, responses=ERRORS)
def get_subscription(subscription_id: Id, caller: Caller, db: Db, svc: Svc) -> SubscriptionOut:
    cards.require_billing_role(caller)
    sub = db.get(Subscription, subscription_id)
    if sub is None or sub.tenant_id != caller.tenant_id:
        raise NotFound("subscription_not_found", "No such subscription.")
    card = db.get(PaymentMethod, sub.payment_method_id) if sub.payment_method_id else None
    return subscription_out(sub, card, caller, svc.clock().date())


@router.get("/subscriptions/{subscription_id}/charges", response_model=list[ChargeOut], responses=ERRORS)
def list_charges(subscription_id: Id, caller: Caller, db: Db) -> list[ChargeOut]:
    """Every payment attempt on a subscription, newest first."""
    cards.require_billing_role(caller)
    sub = db.get(Subscription, subscription_id)
    if sub is None or sub.tenant_id != caller.tenant_id:
        raise NotFound("subscription_not_found", "No such subscription.")
    found = db.scalars(
        select(Charge).where(Charge.subscription_id == sub.id).order_by(Charge.created_at.desc())
    )
    return [charge_out(c) for c in found]


@router.post(
    "/subscriptions/{subscription_id}/settle",
    response_model=SettleResult,
    responses={
        **ERRORS,
        402: {"description": "Declined"},
        409: {"description": "Conflict"},
        429: {"description": "Too many failed attempts"},
    },
)
def settle(
    subscription_id: Id,
    body: Settle,
    caller: Caller,
    svc: Svc,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> JSONResponse:
    """Charge the outstanding balance with one of the caller's cards, once per Idempotency-Key."""
    outcome = svc.settler.settle(caller, subscription_id, body, idempotency_key)
    return JSONResponse(outcome.body, status_code=outcome.status_code)


@router.get("/payment-methods", response_model=CardList, responses=ERRORS)
def list_payment_methods(caller: Caller, db: Db, svc: Svc) -> CardList:
    """The caller's own cards."""
    cards.require_billing_role(caller)
    today = svc.clock().date()
    return CardList(payment_methods=[card_summary(c, caller, today) for c in cards.own_cards(db, caller)])


@router.post(
    "/payment-methods",
    response_model=CardSummary,
    status_code=201,
    responses={**ERRORS, 429: {"description": "Too many failed attempts"}},
)
def add_payment_method(body: AddCard, caller: Caller, svc: Svc, response: Response) -> CardSummary:
    """Vault a card for the caller: the number and security code are checked, never stored."""
    cards.require_billing_role(caller)
    now = svc.clock()
    with svc.sessions.begin() as db:
        svc.guard.check(db, caller.user_id, now)
    try:
        with svc.sessions.begin() as db:
            card, created = cards.add_card(db, caller, body, now, svc.settings.token_secret)
            summary = card_summary(card, caller, now.date())
    except BillingError:
        svc.guard.record_failure(caller.user_id, "card_addition", now)
        raise
    if not created:
        response.status_code = 200
    return summary


@router.patch(
    "/payment-methods/{payment_method_id}",
    response_model=CardSummary,
    responses={**ERRORS, 402: {"description": "Security code refused"}},
)
def update_payment_method(payment_method_id: Id, body: UpdateExpiry, caller: Caller, svc: Svc) -> CardSummary:
    """Change the expiry of a card the caller owns (the security code is asked again)."""
    cards.require_billing_role(caller)
    now = svc.clock()
    try:
        with svc.sessions.begin() as db:
            svc.guard.check(db, caller.user_id, now)
            card = cards.update_expiry(db, caller, payment_method_id, body, now)
            return card_summary(card, caller, now.date())
    except BillingError as error:
        if error.status_code in (402, 422):
            svc.guard.record_failure(caller.user_id, "card_update", now)
        raise
