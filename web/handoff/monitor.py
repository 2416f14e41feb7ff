"""Background duties of the web service: hand back conversations nobody claimed in time, and stop
waiting when the user writes "cancel" in the chat (their message reaches the paused tracker, and the
conversation feed: Rasa's tracker, or what the event broker delivered)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from fastapi.concurrency import run_in_threadpool

from billing.clock import as_utc
from web.handoff.feed import ConversationFeed
from web.handoff.rasa import RasaGateway, RasaUnavailable
from web.handoff.store import HandoffError, HandoffStore

log = logging.getLogger("web.handoff")
CANCEL_INTENTS = ("cancel",)


def wrote_cancel(events: list[dict[str, Any]], since: float) -> bool:
    """Did the user, after `since` (epoch seconds), send a message understood as "cancel"?"""
    for event in events:
        if event.get("event") == "user" and float(event.get("timestamp") or 0) > since:
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if intent in CANCEL_INTENTS:
                return True
    return False


class HandoffMonitor:
    def __init__(self, store: HandoffStore, rasa: RasaGateway, feed: ConversationFeed, interval: float = 0.5):
        self.store, self.rasa, self.feed, self.interval = store, rasa, feed, interval

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # a bad tick must not stop the monitor
                log.exception("handoff monitor tick failed")
            await asyncio.sleep(self.interval)

    async def tick(self) -> None:
        for handoff in await run_in_threadpool(self.store.expire):
            await self._give_back(handoff, "timeout", "system")
        for handoff in await run_in_threadpool(self.store.waiting):
            try:
                events = await self.feed.events(handoff["conversation_id"])
            except RasaUnavailable:
                continue
            since = as_utc_timestamp(handoff["requested_at"])
            if wrote_cancel(events, since):
                try:
                    closed = await run_in_threadpool(self.store.cancel, handoff["id"], handoff["user"])
                except HandoffError:
                    continue
                await self._give_back(closed, "cancelled", handoff["user"])

    async def _give_back(self, handoff: dict[str, Any], mode: str, actor: str) -> None:
        try:
            await self.rasa.give_back(handoff["conversation_id"], mode, handoff["language"])
        except RasaUnavailable as down:
            log.warning(
                "handoff %s: the assistant could not take the conversation back: %s", handoff["id"], down
            )
            await run_in_threadpool(self.store.undo_cancel, handoff["id"], actor, str(down))


def as_utc_timestamp(iso: str) -> float:
    return as_utc(datetime.fromisoformat(iso)).timestamp()
