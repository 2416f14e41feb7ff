"""A turn must never end in silence because the action server is down: Rasa then logs an error and
answers nothing (an empty list over REST, no message in the widget), and the failed actions leave the
tracker in a state no rule knows (seen: ten `action_fallback`s and a circuit breaker, even once the
server was back). So the channels look first: while the action server does not answer its health check,
a message is not handed to Rasa at all (unless an agent holds the conversation: Rasa predicts nothing
then) and the user is told, in their language, to try again (`utter_assistant_unavailable`). The tracker
stays as it was, so the conversation carries on once the server is back. A server that dies during a
turn is caught after it: the turn produced nothing, so the same apology is sent."""

from __future__ import annotations

import logging
import time
from typing import Any, Optional

import httpx

log = logging.getLogger(__name__)
APOLOGY = "utter_assistant_unavailable"
HEALTH_TIMEOUT = httpx.Timeout(2.0, connect=1.0)
TRUSTED_FOR_SECONDS = 2.0  # a healthy answer is believed this long: one check serves many messages


async def action_server_down(agent: Any) -> bool:
    endpoint = getattr(agent, "action_endpoint", None)
    url = getattr(endpoint, "url", None)
    if not url:
        return False
    health = url.rsplit("/webhook", 1)[0] + "/health"
    try:
        async with httpx.AsyncClient(timeout=HEALTH_TIMEOUT) as client:
            return (await client.get(health)).status_code != 200
    except httpx.HTTPError:
        return True


class ActionServerWatch:
    def __init__(self, trusted_for: float = TRUSTED_FOR_SECONDS) -> None:
        self._trusted_for = trusted_for
        self._healthy_until = 0.0

    async def down(self, agent: Any) -> bool:
        if time.monotonic() < self._healthy_until:
            return False
        down = await action_server_down(agent)
        if not down:
            self._healthy_until = time.monotonic() + self._trusted_for
        return down

    async def apology_instead(
        self, agent: Any, sender_id: str, output_channel: str, locale: str
    ) -> Optional[dict[str, Any]]:
        """The apology to answer instead of handing the message to Rasa, or None to go ahead."""
        if agent is None or agent.tracker_store is None or not await self.down(agent):
            return None
        tracker = await agent.tracker_store.retrieve(sender_id)
        if tracker is not None and tracker.is_paused():
            return None  # an agent reads it; Rasa only logs it
        log.error("a message was not processed: the action server is unreachable")
        return _apology(agent, tracker, output_channel, locale)

    async def apology_after(
        self, agent: Any, sender_id: str, output_channel: str, locale: str
    ) -> Optional[dict[str, Any]]:
        """After a turn that produced no message: the apology, when the action server went away."""
        if agent is None or agent.tracker_store is None or not await action_server_down(agent):
            return None
        self._healthy_until = 0.0
        tracker = await agent.tracker_store.retrieve(sender_id)
        if tracker is None or tracker.is_paused():
            return None
        log.error("a turn ended in silence: the action server is unreachable")
        return _apology(agent, tracker, output_channel, locale)


def _apology(agent: Any, tracker: Any, output_channel: str, locale: str) -> Optional[dict[str, Any]]:
    slots: dict[str, Any] = tracker.current_slot_values() if tracker is not None else {}
    if slots.get("language") not in ("en", "fr"):  # set by an action, which could not run: the locale
        slots["language"] = "fr" if locale.lower().startswith("fr") else "en"
    message: Optional[dict[str, Any]] = agent.nlg.generate_from_slots(APOLOGY, slots, output_channel)
    if message is not None:
        message["language"] = slots["language"]
    return message
