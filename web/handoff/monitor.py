"""Background duties of the web service: hand back conversations nobody claimed in time, and stop
waiting when the user writes "cancel" in the chat (their message reaches the paused tracker, and the
conversation feed: Rasa's tracker, or what the event broker delivered)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi.concurrency import run_in_threadpool

from web.handoff.errors import HandoffError
from web.handoff.feed import ConversationFeed
from web.handoff.queue import HandoffQueue
from web.handoff.records import Handoff
from web.handoff.transitions import Transitions
from web.rasa_client import RasaClient, RasaUnavailable

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
    def __init__(
        self,
        queue: HandoffQueue,
        transitions: Transitions,
        rasa: RasaClient,
        feed: ConversationFeed,
        interval: float = 0.5,
    ):
        self.queue, self.transitions, self.rasa, self.feed = queue, transitions, rasa, feed
        self.interval = interval

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # a bad tick must not stop the monitor
                log.exception("handoff monitor tick failed")
            await asyncio.sleep(self.interval)

    async def tick(self) -> None:
        for handoff in await run_in_threadpool(self.transitions.expire):
            await self._give_back(handoff, "timeout", "system")
        for handoff in await run_in_threadpool(self.queue.waiting):
            try:
                events = await self.feed.events(handoff.conversation_id)
            except RasaUnavailable:
                continue
            if wrote_cancel(events, handoff.requested_at.timestamp()):
                try:
                    closed = await run_in_threadpool(self.transitions.cancel, handoff.id, handoff.user_id)
                except HandoffError:
                    continue
                await self._give_back(closed, "cancelled", handoff.user_id)

    async def _give_back(self, handoff: Handoff, mode: str, actor: str) -> None:
        try:
            await self.rasa.give_back(handoff.conversation_id, mode, handoff.language)
        except RasaUnavailable as down:
            log.warning(
                "handoff %s: the assistant could not take the conversation back: %s", handoff.id, down
            )
            await run_in_threadpool(self.transitions.undo_cancel, handoff.id, actor, str(down))
