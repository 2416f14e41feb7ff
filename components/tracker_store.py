"""The tracker store: Rasa's SQL store, except that no user token reaches a row or the event broker,
and that it never hides a failure.

- Tokens live in memory for the turn only. The channel puts the message's verified token in its
  metadata (the actions call billing with it during that turn); `save` and the event broker get every
  event without it (any `token` key is dropped and any JWT-shaped text is replaced), so a stolen
  database or queue holds nothing to replay. The next message brings its own token.
- Fail closed. Stock Rasa wraps the store in `FailSafeTrackerStore`, which on any error carries on in
  memory (a payment went through while 0 events were saved) or hands back an empty tracker (a locked
  file made the user start over). `install_fail_closed` removes that wrapper, so an error reaches the
  channel, which tells the user; `check_writable` lets the channel look before a turn, so no action
  (and so no payment) runs when the turn could not be saved.
- Read once. A turn reads its conversation three to four times (the channel: paused? asking for a
  security code?; Rasa; the event broker's diff on save), and each read fetched and parsed every event of
  the session. The events' stored text is kept per conversation with the version it was read at (how many
  events, the last id, the last timestamp: one indexed aggregate query), and fetched again only when the
  version changed. Rows are only ever appended, by one writer per conversation at a time (the lock
  store), so an unchanged version means unchanged events, on every replica.

Set in endpoints.yml: `tracker_store: {type: components.tracker_store.GuardedSQLTrackerStore, ...}`.
"""

from __future__ import annotations

import json
import logging
import os
from collections import OrderedDict
from typing import Any, Optional

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from security.tokens import without_jwts

log = logging.getLogger(__name__)
TOKEN_KEYS = frozenset({"token", "access_token", "authorization"})
CACHED_CONVERSATIONS = 500
Version = tuple[Any, ...]


class StoreUnavailable(RuntimeError):
    """The tracker store cannot save a turn now (unwritable, locked, missing, unreachable)."""


def without_tokens(value: Any) -> Any:
    """`value` with every token-named key removed and every JWT-shaped string replaced."""
    if isinstance(value, dict):
        return {k: without_tokens(v) for k, v in value.items() if str(k).lower() not in TOKEN_KEYS}
    if isinstance(value, list):
        return [without_tokens(v) for v in value]
    if isinstance(value, str):
        return without_jwts(value)
    return value


class GuardedSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` that stores no token and can say beforehand whether a turn can be saved."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        event_broker: Optional[EventBroker] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(domain=domain, event_broker=event_broker, **kwargs)
        url = self.engine.url
        self._sqlite_file = (
            os.path.abspath(url.database) if url.get_backend_name() == "sqlite" and url.database else None
        )
        self._read: OrderedDict[tuple[str, bool], tuple[Version, list[str]]] = OrderedDict()

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        """`SQLTrackerStore._retrieve`, fetching the events only when they changed since the last read."""
        key = (sender_id, fetch_events_from_all_sessions)
        with self.session_scope() as session:
            # The version first: events appended after it are fetched with it and read again next time.
            version = self._version(session, sender_id)
            known = self._read.get(key)
            if known is not None and known[0] == version:
                self._read.move_to_end(key)
                stored = known[1]
            else:
                rows = self._event_query(session, sender_id, fetch_events_from_all_sessions).all()
                stored = [row.data for row in rows]
                self._remember(key, version, stored)
        if self.domain is None or not stored:
            return None
        return DialogueStateTracker.from_dict(sender_id, [json.loads(d) for d in stored], self.domain.slots)

    def _version(self, session: Any, sender_id: str) -> Version:
        event = self.SQLEvent
        query = session.query(sa.func.count(event.id), sa.func.max(event.id), sa.func.max(event.timestamp))
        return tuple(query.filter(event.sender_id == sender_id).one())

    def _remember(self, key: tuple[str, bool], version: Version, stored: list[str]) -> None:
        self._read[key] = (version, stored)
        self._read.move_to_end(key)
        while len(self._read) > CACHED_CONVERSATIONS:
            self._read.popitem(last=False)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """`SQLTrackerStore.save`, with each event's data stripped of tokens first."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = without_tokens(event.as_dict())
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()

    async def _stream_new_events(
        self, event_broker: EventBroker, new_events: list[Event], sender_id: str
    ) -> None:
        for event in new_events:
            event_broker.publish({"sender_id": sender_id, **without_tokens(event.as_dict())})

    def check_writable(self) -> None:
        """Raise `StoreUnavailable` unless a turn could be saved now: the SQLite file is still where it
        was (a deleted file would be recreated empty and the conversation lost) and a write
        transaction can start (not read-only, not locked, reachable)."""
        if self._sqlite_file is not None and not os.path.isfile(self._sqlite_file):
            raise StoreUnavailable("the tracker store's file is missing")
        try:
            with self.engine.connect() as connection:
                with connection.begin() as transaction:
                    # A write statement that changes nothing: it takes the write lock, which fails
                    # when the database is read-only, locked by another writer or gone.
                    connection.execute(sa.text("DELETE FROM events WHERE 1 = 0"))
                    transaction.rollback()
        except sa.exc.SQLAlchemyError as error:
            raise StoreUnavailable(f"the tracker store cannot write: {type(error).__name__}") from None


def primary_store(store: Optional[TrackerStore]) -> Optional[TrackerStore]:
    """The store itself, under Rasa's `FailSafeTrackerStore` wrapper if it is there."""
    return getattr(store, "_tracker_store", store)


def check_writable(store: Optional[TrackerStore]) -> None:
    """Raise `StoreUnavailable` unless the conversation store can save a turn now."""
    primary = primary_store(store)
    if primary is None:
        raise StoreUnavailable("no tracker store")
    check = getattr(primary, "check_writable", None)
    if check is not None:
        check()


def install_fail_closed() -> None:
    """Make Rasa use the configured tracker store as it is, without the in-memory fallback."""
    from rasa.core.agent import Agent

    def _create_tracker_store(store: Optional[TrackerStore], domain: Domain) -> TrackerStore:
        if not isinstance(store, GuardedSQLTrackerStore):
            raise SystemExit(
                "endpoints.yml must set tracker_store.type to components.tracker_store."
                f"GuardedSQLTrackerStore (found {type(store).__name__})"
            )
        store.domain = domain
        return store

    Agent._create_tracker_store = staticmethod(_create_tracker_store)
