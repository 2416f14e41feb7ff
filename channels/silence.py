"""A turn must never end in silence because the action server is down: Rasa then logs an error and
answers nothing (an empty list over REST, no message in the widget), and the failed actions leave the
tracker in a state no rule knows (seen: ten `action_fallback`s and a circuit breaker, even once the
server was back). So the channels look first: while the action server does not answer its health check,
a message is not handed to Rasa at all (unless an agent holds the conversation: Rasa predicts nothing
then) and the user is told, in their language, to try again (`utter_assistant_unavailable`). The tracker
stays as it was, so the conversation carries on once the server is back. A server that dies during a
turn is caught after it: the turn produced nothing, so the same apology is sent."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Optional

import httpx

from components.tracker_store import StoreUnavailable, check_writable

log = logging.getLogger(__name__)
APOLOGY = "utter_assistant_unavailable"
NOT_SAVED = "utter_conversation_not_saved"  # before a turn: nothing ran
TURN_NOT_SAVED = "utter_turn_not_saved"  # during a turn: it may have done something
HEALTH_TIMEOUT = httpx.Timeout(2.0, connect=1.0)
TRUSTED_FOR_SECONDS = 2.0  # a healthy answer is believed this long: one check serves many messages


async def action_server_down(agent: Any, client: httpx.AsyncClient, after_turn: bool = False) -> bool:
    """Nothing answers the action server's health check: refused, unreachable, or an error status.
    A server that connects but answers late is busy, not down (seen at 50 concurrent conversations: a 2 s
    read timeout made the channel apologise for a server that was working). Before a turn, a connection
    not made within a second is busy too: a replica's own event loop, held by prediction for over a
    second under load, sees the connect timeout fire before the connection it had made (seen in CI with
    50 conversations on two replicas: a working server was called down, and a user's message was
    answered with an apology and dropped). The turn goes ahead; a turn that then ends in silence
    (`after_turn`) is checked again, and there a connect timeout counts as down."""
    endpoint = getattr(agent, "action_endpoint", None)
    url = getattr(endpoint, "url", None)
    if not url:
        return False
    health = url.rsplit("/webhook", 1)[0] + "/health"
    busy: tuple[type[httpx.TimeoutException], ...] = (httpx.ReadTimeout, httpx.WriteTimeout)
    busy += (httpx.PoolTimeout,) if after_turn else (httpx.PoolTimeout, httpx.ConnectTimeout)
    try:
        return (await client.get(health, timeout=HEALTH_TIMEOUT)).status_code != 200
    except busy as error:
        log.warning("the action server's health check: %s, so busy; going ahead", type(error).__name__)
        return False
    except httpx.HTTPError:
        return True


class ActionServerWatch:
    def __init__(self, trusted_for: float = TRUSTED_FOR_SECONDS) -> None:
        self._trusted_for = trusted_for
        self._healthy_until = 0.0
        self._client: Optional[httpx.AsyncClient] = None
        self._client_loop: Optional[asyncio.AbstractEventLoop] = None
        self._checking: Optional[asyncio.Future[bool]] = None

    def _http(self) -> httpx.AsyncClient:
        """One client per event loop: a new one loads the CA bundle, ~5% of the CPU of a turn here."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            self._client, self._client_loop = httpx.AsyncClient(timeout=HEALTH_TIMEOUT), loop
        return self._client

    async def down(self, agent: Any) -> bool:
        """Whether the action server is down, checked at most once at a time: the messages that arrive
        while a check runs wait for its answer instead of each sending their own."""
        if time.monotonic() < self._healthy_until:
            return False
        loop = asyncio.get_running_loop()
        if self._checking is None or self._checking.done() or self._checking.get_loop() is not loop:
            self._checking = asyncio.ensure_future(action_server_down(agent, self._http()))
        down = await asyncio.shield(self._checking)
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
        if agent is None or agent.tracker_store is None or not await action_server_down(
            agent, self._http(), after_turn=True
        ):
            return None
        self._healthy_until = 0.0
        tracker = await agent.tracker_store.retrieve(sender_id)
        if tracker is None or tracker.is_paused():
            return None
        log.error("a turn ended in silence: the action server is unreachable")
        return _apology(agent, tracker, output_channel, locale)


async def store_apology(agent: Any, output_channel: str, locale: str) -> Optional[dict[str, Any]]:
    """Fail closed: when the tracker store could not save this turn, the apology to answer instead of
    handing the message to Rasa (so no action, and no payment, runs), else None to go ahead."""
    try:
        await asyncio.to_thread(check_writable, getattr(agent, "tracker_store", None))
    except StoreUnavailable as error:
        log.error("a message was not processed: %s", error)
        return not_saved_apology(agent, output_channel, locale)
    return None


def not_saved_apology(agent: Any, output_channel: str, locale: str) -> Optional[dict[str, Any]]:
    """What the user reads when their message was not processed because the store failed."""
    return _apology(agent, None, output_channel, locale, NOT_SAVED)


def failed_turn_apology(agent: Any, output_channel: str, locale: str) -> Optional[dict[str, Any]]:
    """What the user reads when Rasa raised during a turn (the store failed to read or save it)."""
    return _apology(agent, None, output_channel, locale, TURN_NOT_SAVED)


def _apology(
    agent: Any, tracker: Any, output_channel: str, locale: str, response: str = APOLOGY
) -> Optional[dict[str, Any]]:
    slots: dict[str, Any] = tracker.current_slot_values() if tracker is not None else {}
    if slots.get("language") not in ("en", "fr"):  # set by an action, which could not run: the locale
        slots["language"] = "fr" if locale.lower().startswith("fr") else "en"
    message: Optional[dict[str, Any]] = agent.nlg.generate_from_slots(response, slots, output_channel)
    if message is not None:
        message["language"] = slots["language"]
    return message
