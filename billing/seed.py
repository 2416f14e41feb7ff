"""The demo data of docs/design.md, seeded once (idempotent), and a reset.

The dates follow the clock: `seed(session, now)` moves the cards' expiries by the months between the
design's month (December 2026) and `now`, so the story is the same on any date: Alice's Visa expired two
months ago, Dave's Visa expires in 15 months, Bob's Mastercard in 32; the declines happened 3 days ago.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

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
# The month docs/design.md tells the demo from: on any day of it, the expiries are the ones below.
DESIGN_MONTH = date(2026, 12, 1)
# (id, owner, brand, last4, month, year, holder): the expiries as seen from DESIGN_MONTH.
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


def expiry_on(today: date, month: int, year: int) -> tuple[int, int]:
    """(month, year) of a design expiry moved to `today`: as many months after it as `today` is after
    DESIGN_MONTH (before it: earlier)."""
    shift = (today.year - DESIGN_MONTH.year) * 12 + today.month - DESIGN_MONTH.month
    index = year * 12 + month - 1 + shift
    return index % 12 + 1, index // 12


def card_expiries(today: date) -> dict[str, tuple[int, int]]:
    """Each seeded card's (month, year) when the demo data is seeded on `today`."""
    return {cid: expiry_on(today, month, year) for cid, _owner, _brand, _last4, month, year, _h in CARDS}


def seed(session: Session, now: datetime) -> bool:
    """Insert the demo data unless it is there, dated from `now` (the service's clock); True when it was
    inserted."""
    if session.scalars(select(Tenant.id).limit(1)).first() is not None:
        return False
    session.add_all(Tenant(id=tid, name=name) for tid, name in TENANTS)
    session.add_all(
        User(id=uid, tenant_id=tid, display_name=name, role=role, locale=loc)
        for uid, tid, name, role, loc in USERS
    )
    tenant_of = {uid: tid for uid, tid, *_ in USERS}
    session.flush()
    expiries = card_expiries(now.date())
    session.add_all(
        PaymentMethod(
            id=cid,
            tenant_id=tenant_of[owner],
            owner_user_id=owner,
            vault_token=f"tok_demo_{cid}",
            fingerprint=f"demo-{cid}",
            brand=brand,
            last4=last4,
            exp_month=expiries[cid][0],
            exp_year=expiries[cid][1],
            holder_name=holder,
            processor_profile="success",
            status="active",
            created_at=now,
        )
        for cid, owner, brand, last4, _month, _year, holder in CARDS
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
