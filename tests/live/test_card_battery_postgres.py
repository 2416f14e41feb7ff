"""The card battery against Rasa on the scale-out endpoints (endpoints.scale.yml): a PostgreSQL tracker
store, the Redis lock store and a RabbitMQ event broker. Every row of the tracker store and every
message the broker published is scanned: 0 card numbers, 0 user tokens (printed)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.live.conftest import MODEL
from tests.live.test_card_battery import FORMS, SPLITS, raw_numbers
from tests.live.test_conversations import CHOOSE_EXCHANGE
from tests.support.scale import drain_queue, new_queue_name, postgres_database, scale_settings, stored_events
from tests.support.stack import mint_token, rasa_server

pytestmark = pytest.mark.postgres
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")


@pytest.fixture
def tracker_database() -> Iterator[str]:
    with postgres_database("tracker") as name:
        yield name


def test_postgres_store_and_broker_hold_no_card_number_and_no_token(
    stack, tracker_database: str, tmp_path: Path
) -> None:
    queue = new_queue_name()
    settings = scale_settings(tracker_database, queue)
    token = mint_token(stack["database_url"], "bob@contoso.com")
    with rasa_server(tmp_path, MODEL, stack["actions"].url, stack["billing"].url, **settings) as rasa:

        def say(sender: str, text: str) -> list[dict]:
            body = {"sender": sender, "message": text, "metadata": {"token": token}}
            response = httpx.post(rasa.url + "/webhooks/rest/webhook", json=body, timeout=60)
            assert response.status_code == 200, response.text
            return list(response.json())

        outside = f"pg-{uuid.uuid4().hex[:12]}"
        for _, text, _ in FORMS:
            assert raw_numbers(json.dumps(say(outside, text))) == 0
        for parts in [[FORMS[1][1]], [FORMS[20][1]], SPLITS[0][1]]:
            inside = f"pg-{uuid.uuid4().hex[:12]}"
            for text in ["pay my balance", CHOOSE_EXCHANGE, "add a new card", *parts]:
                replies = say(inside, text)
            assert "expiration date" in " ".join(r.get("text", "") for r in replies), replies
    rows = [data for events in stored_events(tracker_database).values() for *_, data in events]
    published = drain_queue(queue)
    counts = {
        "PostgreSQL tracker store": (
            len(rows),
            sum(raw_numbers(r) for r in rows),
            sum(len(JWT.findall(r)) for r in rows),
        ),
        "RabbitMQ event broker": (
            len(published),
            sum(raw_numbers(b) for b in published),
            sum(len(JWT.findall(b)) for b in published),
        ),
    }
    print("\nstore                    | rows | raw card numbers | user tokens")
    for store, (count, numbers, tokens) in counts.items():
        print(f"{store:<25}| {count:4d} | {numbers:16d} | {tokens:11d}")
    assert len(rows) > len(FORMS) and len(published) > len(FORMS)
    assert all(numbers == 0 and tokens == 0 for _, numbers, tokens in counts.values()), counts
