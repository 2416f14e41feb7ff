"""The tracker store keeps no user token and says beforehand when it cannot save a turn."""

from __future__ import annotations

import json
import os
import sqlite3
import warnings
from pathlib import Path

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from components.tracker_store import GuardedSQLTrackerStore, StoreUnavailable, without_tokens

# A JWT-shaped string (not a real token: tests never need one to check the shape is removed).
JWT_LIKE = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2JAY29udG9zby5jb20ifQ.c2lnbmF0dXJlLW9mLWEtdG9rZW4"
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Rasa warns about slot auto-fill on every domain it loads
    DOMAIN = Domain.load(str(Path(__file__).parents[2] / "domain"))


class RecordingBroker(EventBroker):
    def __init__(self) -> None:
        self.published: list[dict] = []

    def publish(self, event: dict) -> None:
        self.published.append(event)


def conversation() -> DialogueStateTracker:
    metadata = {"token": JWT_LIKE, "user": "bob@contoso.com", "locale": "fr-FR"}
    return DialogueStateTracker.from_events(
        "conv-1",
        [
            ActionExecuted("action_session_start"),
            SessionStarted(metadata=metadata),
            SlotSet("session_started_metadata", metadata),
            ActionExecuted("action_listen"),
            UserUttered("pay with token " + JWT_LIKE, {"name": "affirm"}, metadata=metadata),
        ],
        DOMAIN.slots,
    )


@pytest.fixture
def store(tmp_path: Path) -> GuardedSQLTrackerStore:
    return GuardedSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))


def rows(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [data for (data,) in db.execute("SELECT data FROM events")]


async def test_no_token_reaches_a_row_or_the_broker(tmp_path: Path) -> None:
    broker = RecordingBroker()
    store = GuardedSQLTrackerStore(
        domain=DOMAIN, event_broker=broker, dialect="sqlite", db=str(tmp_path / "t.db")
    )
    tracker = conversation()
    await store.save(tracker)
    stored = rows(tmp_path / "t.db")
    assert len(stored) == 5
    assert not [row for row in stored if "eyJ" in row or '"token"' in row]
    assert len(broker.published) == 5
    assert "eyJ" not in json.dumps(broker.published)
    # What is stored still says who sent it, and the in-memory tracker of the turn keeps its token.
    user = json.loads(stored[-1])
    assert user["metadata"] == {"user": "bob@contoso.com", "locale": "fr-FR"}
    assert user["text"] == "pay with token [token]"
    assert tracker.events[-1].metadata["token"] == JWT_LIKE
    again = await store.retrieve("conv-1")
    assert again is not None and "token" not in again.get_slot("session_started_metadata")


def test_only_tokens_are_removed() -> None:
    kept = {"card_number_token": "vault_x", "vault": {"security_code_token": "vault_y"}, "n": [1, "a"]}
    assert without_tokens({**kept, "token": JWT_LIKE, "Authorization": "Bearer x"}) == kept


def test_a_writable_store_passes_the_check(store: GuardedSQLTrackerStore) -> None:
    store.check_writable()


def test_a_read_only_file_fails_the_check(store: GuardedSQLTrackerStore, tmp_path: Path) -> None:
    if os.geteuid() == 0:
        # root ignores file modes: make SQLite itself open the file read-only
        store.engine.dispose()
        store.engine = __import__("sqlalchemy").create_engine(
            f"sqlite:///file:{tmp_path / 'tracker.db'}?mode=ro&uri=true"
        )
    else:
        (tmp_path / "tracker.db").chmod(0o400)
    with pytest.raises(StoreUnavailable):
        store.check_writable()


def test_a_locked_file_fails_the_check(store: GuardedSQLTrackerStore, tmp_path: Path) -> None:
    other = sqlite3.connect(tmp_path / "tracker.db", timeout=0)
    other.execute("BEGIN EXCLUSIVE")
    store.engine.dispose()
    store.engine = __import__("sqlalchemy").create_engine(
        f"sqlite:///{tmp_path / 'tracker.db'}", connect_args={"timeout": 0.2}
    )
    try:
        with pytest.raises(StoreUnavailable):
            store.check_writable()
    finally:
        other.rollback()
        other.close()
    store.check_writable()  # and once the lock is gone, it passes again


def test_a_deleted_file_fails_the_check(store: GuardedSQLTrackerStore, tmp_path: Path) -> None:
    (tmp_path / "tracker.db").unlink()
    with pytest.raises(StoreUnavailable):
        store.check_writable()
    assert not (tmp_path / "tracker.db").exists()  # the check did not create an empty one
