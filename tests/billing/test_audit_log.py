"""Every billing write lands in the audit log, with who and when; the database keeps the log append-only."""

from __future__ import annotations

import pytest
from billing_support import ALICE, ALICE_VISA, BOB, BOB_MC, DECLINED, EXCHANGE, TODAY, at
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.support.dates import ALICE_VISA_EXPIRY, mm_yyyy, year

pytestmark = pytest.mark.usefixtures("backend")


async def test_adding_a_card_is_audited(api, db, clock):
    clock.advance(30)

    card_id = await api.new_card(BOB)

    [entry] = db.audit("payment_method.added")
    assert (entry["actor"], entry["tenant_id"], entry["target"], at(entry["at"])) == (
        BOB,
        "contoso",
        card_id,
        clock.now,
    )
    assert entry["details"] == {"brand": "visa", "last4": "4242"}


async def test_adding_the_same_card_again_is_audited(api, db):
    first = await api.new_card(BOB)
    assert (await api.add_card(BOB, "4242-4242-4242-4242", exp_year=year(6))).status_code == 200

    [entry] = db.audit("payment_method.readded")
    assert (entry["actor"], entry["target"]) == (BOB, first)


@pytest.mark.date_sensitive
async def test_updating_an_expiry_is_audited(client, auth, db, clock):
    clock.advance(60)

    await client.patch(
        f"/v1/payment-methods/{ALICE_VISA}",
        json={"exp_month": 2, "exp_year": year(5), "cvc": "123"},
        headers=auth(ALICE),
    )

    [entry] = db.audit("payment_method.expiry_updated")
    assert (entry["actor"], entry["tenant_id"], entry["target"], at(entry["at"])) == (
        ALICE,
        "contoso",
        ALICE_VISA,
        clock.now,
    )
    assert entry["details"] == {"before": mm_yyyy(ALICE_VISA_EXPIRY), "after": mm_yyyy((2, year(5)))}


async def test_a_successful_charge_is_audited(api, db):
    response = await api.settle(BOB, EXCHANGE, BOB_MC)

    [entry] = db.audit("charge.succeeded")
    assert (entry["actor"], entry["tenant_id"], entry["target"], at(entry["at"])) == (
        BOB,
        "contoso",
        EXCHANGE,
        TODAY,
    )
    assert entry["details"] == {
        "charge_id": response.json()["charge_id"],
        "payment_method_id": BOB_MC,
        "amount_cents": 4000,
        "decline_code": None,
    }


async def test_a_declined_charge_is_audited(api, db):
    card_id = await api.new_card(BOB, DECLINED)

    response = await api.settle(BOB, EXCHANGE, card_id)

    [entry] = db.audit("charge.declined")
    assert (entry["actor"], entry["target"], at(entry["at"])) == (BOB, EXCHANGE, TODAY)
    assert entry["details"]["charge_id"] == response.json()["error"]["charge_id"]
    assert entry["details"]["decline_code"] == "card_declined"


async def test_every_write_has_exactly_one_entry_per_change(api, client, auth, db):
    seeded = len(db.audit())
    card_id = await api.new_card(BOB)
    await client.patch(
        f"/v1/payment-methods/{card_id}",
        json={"exp_month": 2, "exp_year": year(5), "cvc": "123"},
        headers=auth(BOB),
    )
    await api.settle(BOB, EXCHANGE, card_id)

    actions = [e["action"] for e in db.audit()[seeded:]]

    assert actions == [
        "payment_method.added",
        "payment_method.expiry_updated",
        "subscription.payment_method_replaced",
        "charge.succeeded",
    ]
    assert all(e["actor"] == BOB and e["at"] is not None for e in db.audit()[seeded:])


async def test_reads_and_refusals_write_no_audit_entry(api, client, auth, db):
    before = len(db.audit())

    await client.get("/v1/subscriptions", headers=auth(BOB))
    await client.get("/v1/payment-methods", headers=auth(BOB))
    await api.add_card(BOB, "4242 4242 4242 4241")
    await api.settle(ALICE, EXCHANGE, BOB_MC)

    assert len(db.audit()) == before


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor = 'someone-else'",
        "UPDATE audit_log SET details = NULL WHERE action = 'demo.seeded'",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE action = 'demo.seeded'",
    ],
)
async def test_the_database_refuses_to_change_or_delete_audit_entries(db, statement):
    before = db.snapshot(("audit_log",))
    assert before["audit_log"]  # the seed wrote an entry

    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(text(statement))

    assert db.snapshot(("audit_log",)) == before


async def test_the_database_accepts_new_audit_entries(db):
    with db.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO audit_log (at, actor, action) VALUES (:at, 'test', 'test.appended')"),
            {"at": TODAY},
        )

    assert [e["actor"] for e in db.audit("test.appended")] == ["test"]
