"""The demo data of docs/design.md, seeded once (idempotent), and a reset."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing import audit
from billing.models import Base, Charge, PaymentMethod, Subscription, Tenant, User

TENANTS = [("contoso", "Contoso Ltd"), ("fabrikam", "Fabrikam Inc")]
USERS = [
    ("alice@contoso.com", "contoso", "Alice Martin", "global_admin", "fr"),
    ("bob@contoso.com", "contoso", "Bob Durand", "billing_admin", "en"),
    ("carol@contoso.com", "contoso", "Carol Petit", "user", "fr"),
    ("dave@fabrikam.com", "fabrikam", "Dave Wilson", "billing_admin", "en"),
]
# (id, owner, brand, last4, month, year, holder)
CARDS = [
    ("pm_alice_visa_4242", "alice@contoso.com", "visa", "4242", 10, 2026, "Alice Martin"),
    ("pm_bob_mc_4444", "bob@contoso.com", "mastercard", "4444", 8, 2029, "Bob Durand"),
    ("pm_dave_visa_1881", "dave@fabrikam.com", "visa", "1881", 3, 2028, "Dave Wilson"),
]
# (id, tenant, product, licences, state, cents, card, reason)
SUBSCRIPTIONS = [
    (
        "sub_contoso_business_standard",
        "contoso",
        "Microsoft 365 Business Standard",
        12,
        "past_due",
        15120,
        "pm_alice_visa_4242",
        "card_expired",
    ),
    (
        "sub_contoso_exchange_plan1",
        "contoso",
        "Exchange Online (Plan 1)",
        10,
        "past_due",
        4000,
        "pm_bob_mc_4444",
        "insufficient_funds",
    ),
    ("sub_contoso_e3", "contoso", "Microsoft 365 E3", 5, "active", 0, "pm_bob_mc_4444", None),
    (
        "sub_fabrikam_business_basic",
        "fabrikam",
        "Microsoft 365 Business Basic",
        20,
        "past_due",
        12000,
        "pm_dave_visa_1881",
        "card_declined",
    ),
]


def seed(session: Session, now: datetime) -> bool:
    """Insert the demo data unless it is there; True when it was inserted."""
    if session.scalars(select(Tenant.id).limit(1)).first() is not None:
        return False
    session.add_all(Tenant(id=tid, name=name) for tid, name in TENANTS)
    session.add_all(
        User(id=uid, tenant_id=tid, display_name=name, role=role, locale=loc)
        for uid, tid, name, role, loc in USERS
    )
    tenant_of = {uid: tid for uid, tid, *_ in USERS}
    session.flush()
    session.add_all(
        PaymentMethod(
            id=cid,
            tenant_id=tenant_of[owner],
            owner_user_id=owner,
            vault_token=f"tok_demo_{cid}",
            fingerprint=f"demo-{cid}",
            brand=brand,
            last4=last4,
            exp_month=month,
            exp_year=year,
            holder_name=holder,
            processor_profile="success",
            status="active",
            created_at=now,
        )
        for cid, owner, brand, last4, month, year, holder in CARDS
    )
    session.flush()
    failed_at = now - timedelta(days=3)
    for sid, tid, product, licences, state, cents, card, reason in SUBSCRIPTIONS:
        session.add(
            Subscription(
                id=sid,
                tenant_id=tid,
                product=product,
                licences=licences,
                state=state,
                outstanding_cents=cents,
                currency="EUR",
                payment_method_id=card,
                past_due_reason=reason,
                last_failed_at=failed_at if reason else None,
            )
        )
    session.flush()
    # Bob's decline is history: a retry today succeeds.
    session.add(
        Charge(
            id="ch_demo_exchange_declined",
            tenant_id="contoso",
            subscription_id="sub_contoso_exchange_plan1",
            payment_method_id="pm_bob_mc_4444",
            actor_user_id=None,
            amount_cents=4000,
            currency="EUR",
            outcome="declined",
            decline_code="insufficient_funds",
            idempotency_key=None,
            receipt_ref=None,
            created_at=failed_at,
        )
    )
    audit.record(session, at=now, actor="system", tenant_id=None, action="demo.seeded")
    return True


def drop_all(session: Session) -> None:
    """Remove every table's rows except the audit log, which only grows."""
    for table in reversed(Base.metadata.sorted_tables):
        if table.name != "audit_log":
            session.execute(table.delete())
