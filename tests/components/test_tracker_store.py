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


def event_fetches(store: GuardedSQLTrackerStore) -> list[int]:
    """Counts the full event fetches of `store` (not its version queries)."""
    fetched: list[int] = []
    query = store._event_query

    def counting(*args: object, **kwargs: object) -> object:
        fetched.append(1)
        return query(*args, **kwargs)

    store._event_query = counting  # type: ignore[method-assign]
    return fetched


async def test_an_unchanged_conversation_is_read_without_fetching_its_events_again(
    store: GuardedSQLTrackerStore,
) -> None:
    await store.save(conversation())
    fetched = event_fetches(store)
    first = await store.retrieve("conv-1")
    second = await store.retrieve("conv-1")
    assert len(fetched) == 1
    assert first is not None and second is not None and first is not second
    assert [e.as_dict() for e in first.events] == [e.as_dict() for e in second.events]
    second.update(SlotSet("language", "fr"))  # a turn changes its own copy only
    third = await store.retrieve("conv-1")
    assert third is not None and third.get_slot("language") is None


async def test_new_events_are_read_from_this_replica_and_from_another(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.db")
    one = GuardedSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=path)
    two = GuardedSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=path)
    tracker = conversation()
    await one.save(tracker)
    session = len((await one.retrieve("conv-1")).events)  # the events since the session started
    assert len((await two.retrieve("conv-1")).events) == session
    tracker = await two.retrieve("conv-1")  # the next turn, on the other replica, as Rasa does it
    tracker.update(ActionExecuted("utter_greet"))
    await two.save(tracker)
    seen = await one.retrieve("conv-1")
    assert seen is not None and [e.type_name for e in seen.events][-1] == "action"
    assert len(seen.events) == session + 1
    seen.update(SlotSet("language", "fr"))
    await one.save(seen)
    assert (await two.retrieve("conv-1")).get_slot("language") == "fr"


async def test_a_conversation_stored_again_from_scratch_is_not_mistaken_for_the_old_one(
    tmp_path: Path,
) -> None:
    # Same sender, same number of events, same ids (a store file replaced by a new one): only the
    # timestamps differ, and they are part of the version.
    path = tmp_path / "t.db"
    store = GuardedSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(path))
    await store.save(conversation())
    assert (await store.retrieve("conv-1")).get_slot("language") is None
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM events")
    again = conversation()
    again.events[-1].timestamp += 1  # a later conversation
    again.update(SlotSet("language", "fr"))
    again.events.popleft()  # as many events as before
    await store.save(again)
    assert (await store.retrieve("conv-1")).get_slot("language") == "fr"


async def test_the_store_remembers_a_bounded_number_of_conversations(
    store: GuardedSQLTrackerStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("components.tracker_store.CACHED_CONVERSATIONS", 3)
    for n in range(5):
        tracker = conversation()
        tracker.sender_id = f"conv-{n}"
        await store.save(tracker)
        await store.retrieve(f"conv-{n}")
    assert [key for key, _ in store._read] == ["conv-2", "conv-3", "conv-4"]
