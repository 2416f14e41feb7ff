"""Settle a subscription's outstanding balance: one settle intent, one charge."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from billing import audit, processor
from billing.cards import owned_card, require_billing_role
from billing.clock import as_utc
from billing.errors import Conflict, Invalid, NotFound, PaymentFailed
from billing.guard import CardTestingGuard
from billing.models import Charge, IdempotencyRecord, RiskEvent, Subscription
from billing.schemas import Settle, SettleResult
from billing.views import card_summary, money
from security.tokens import Principal

ABANDONED_AFTER = timedelta(minutes=2)
_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,100}$")


@dataclass(frozen=True)
class Outcome:
    status_code: int
    body: dict[str, Any]


class Settler:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        guard: CardTestingGuard,
        clock: Callable[[], datetime],
        wait_seconds: float,
    ):
        self._sessions = sessions
        self._guard = guard
        self._clock = clock
        self._wait = wait_seconds

    def settle(self, principal: Principal, subscription_id: str, body: Settle, key: str | None) -> Outcome:
        """Charge the balance once per idempotency key; a replay returns the first answer."""
        require_billing_role(principal)
        if not key:
            raise Invalid(
                "missing_idempotency_key", "Send an Idempotency-Key header with every settle request."
            )
        if not _KEY.match(key):
            raise Invalid(
                "invalid_idempotency_key", "The Idempotency-Key must be 8 to 100 letters, digits or . _ : -"
            )
        request_hash = _hash(principal, subscription_id, body)
        earlier = self._claim(principal, key, request_hash)
        if earlier is not None:
            return earlier
        try:
            return self._charge_once(principal, subscription_id, body, key)
        except Exception:
            # Refused or failed before any charge: nothing to remember, the key is free again.
            self._release(principal, key)
            raise

    def _claim(self, principal: Principal, key: str, request_hash: str) -> Outcome | None:
        try:
            with self._sessions.begin() as session:
                session.add(
                    IdempotencyRecord(
                        tenant_id=principal.tenant_id,
                        key=key,
                        user_id=principal.user_id,
                        request_hash=request_hash,
                        state="pending",
                        created_at=self._clock(),
                    )
                )
            return None
        except IntegrityError:
            pass
        deadline = time.monotonic() + self._wait
        while True:
            with self._sessions() as session:
                record = _record(session, principal, key)
            if record is None:  # released meanwhile: try to take it
                return self._claim(principal, key, request_hash)
            if record.request_hash != request_hash:
                raise Invalid(
                    "idempotency_key_reused", "This Idempotency-Key was already used for a different request."
                )
            if record.state == "done" and record.status_code and record.response is not None:
                return Outcome(record.status_code, record.response)
            if self._clock() - as_utc(record.created_at) > ABANDONED_AFTER:
                # Its process died between the claim and the charge: nothing was charged (the charge
                # and "done" commit together), so the key is free again.
                self._release(principal, key)
                continue
            if time.monotonic() > deadline:
                raise Conflict(
                    "idempotency_in_progress",
                    "The same payment is already being processed: try again shortly.",
                )
            time.sleep(0.05)

    def _release(self, principal: Principal, key: str) -> None:
        with self._sessions.begin() as session:
            record = _record(session, principal, key)
            if record is not None and record.state == "pending":
                session.delete(record)

    def _charge_once(self, principal: Principal, subscription_id: str, body: Settle, key: str) -> Outcome:
        now = self._clock()
        with self._sessions.begin() as session:
            sub = session.scalars(
                select(Subscription)
                .where(Subscription.id == subscription_id, Subscription.tenant_id == principal.tenant_id)
                .with_for_update()
            ).first()
            if sub is None:
                raise NotFound("subscription_not_found", "No such subscription.")
            if sub.outstanding_cents <= 0:
                raise Conflict("nothing_to_settle", "This subscription has no outstanding balance.")
            card = owned_card(session, principal, body.payment_method_id)
            if body.amount is not None and int(body.amount * 100) != sub.outstanding_cents:
                raise Conflict(
                    "amount_mismatch",
                    "The outstanding balance has changed.",
                    outstanding=money(sub.outstanding_cents, sub.currency).model_dump(),
                )
            self._guard.check(session, principal.user_id, now)

            result = processor.charge(card, sub.outstanding_cents, now.date())
            charge = Charge(
                id="ch_" + secrets.token_hex(8),
                tenant_id=principal.tenant_id,
                subscription_id=sub.id,
                payment_method_id=card.id,
                actor_user_id=principal.user_id,
                amount_cents=sub.outstanding_cents,
                currency=sub.currency,
                outcome="succeeded" if result.succeeded else "declined",
                decline_code=result.decline_code,
                idempotency_key=key,
                receipt_ref=result.receipt_ref,
                created_at=now,
            )
            session.add(charge)
            if result.succeeded:
                outcome = self._paid(session, principal, sub, card, charge, now)
            else:
                sub.last_failed_at = now
                session.add(RiskEvent(user_id=principal.user_id, kind="decline", at=now))
                error = PaymentFailed(
                    result.decline_code or "card_declined",
                    result.message,
                    decline_code=result.decline_code,
                    charge_id=charge.id,
                )
                outcome = Outcome(error.status_code, error.body())
            audit.record(
                session,
                at=now,
                actor=principal.user_id,
                tenant_id=principal.tenant_id,
                action=f"charge.{charge.outcome}",
                target=sub.id,
                charge_id=charge.id,
                payment_method_id=card.id,
                amount_cents=charge.amount_cents,
                decline_code=charge.decline_code,
            )
            record = _record(session, principal, key)
            assert record is not None
            record.state, record.status_code, record.response = "done", outcome.status_code, outcome.body
        return outcome

    def _paid(
        self,
        session: Session,
        principal: Principal,
        sub: Subscription,
        card: Any,
        charge: Charge,
        now: datetime,
    ) -> Outcome:
        declined_card_id = sub.payment_method_id
        also_updated: list[str] = []
        if declined_card_id and declined_card_id != card.id:
            others = session.scalars(
                select(Subscription).where(
                    Subscription.tenant_id == principal.tenant_id,
                    Subscription.payment_method_id == declined_card_id,
                    Subscription.id != sub.id,
                )
            )
            for other in others:
                other.payment_method_id = card.id
                also_updated.append(other.product)
        sub.payment_method_id = card.id
        sub.outstanding_cents = 0
        sub.state = "active"
        sub.past_due_reason = None
        if also_updated or declined_card_id != card.id:
            audit.record(
                session,
                at=now,
                actor=principal.user_id,
                tenant_id=principal.tenant_id,
                action="subscription.payment_method_replaced",
                target=sub.id,
                old=declined_card_id,
                new=card.id,
                also_updated=also_updated,
            )
        result = SettleResult(
            charge_id=charge.id,
            subscription_id=sub.id,
            status="succeeded",
            amount=money(charge.amount_cents, charge.currency),
            receipt_ref=charge.receipt_ref or "",
            payment_method=card_summary(card, principal, now.date()),
            also_updated=sorted(also_updated),
        )
        return Outcome(200, result.model_dump(mode="json"))


def _record(session: Session, principal: Principal, key: str) -> IdempotencyRecord | None:
    return session.scalars(
        select(IdempotencyRecord).where(
            IdempotencyRecord.tenant_id == principal.tenant_id, IdempotencyRecord.key == key
        )
    ).first()


def _hash(principal: Principal, subscription_id: str, body: Settle) -> str:
    amount = str(body.amount.quantize(Decimal("0.01"))) if body.amount is not None else None
    material = json.dumps([principal.user_id, subscription_id, body.payment_method_id, amount])
    return hashlib.sha256(material.encode()).hexdigest()
