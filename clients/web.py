"""The web service's assistant API, for the actions: ask for a support agent (web/handoff/)."""

from __future__ import annotations

from typing import Any, TypedDict, cast

import httpx

from clients.http import ServiceRefused, ServiceUnavailable, pooled, request_json, timeout

DEFAULT_TIMEOUT = timeout(5.0)


class HandoffQueued(TypedDict, total=False):
    """The web service's answer to a request for an agent: the queue position and estimated wait."""

    id: int
    conversation_id: str
    state: str
    position: int
    estimated_wait_seconds: int


class WebClient:
    def __init__(self, base_url: str, limit: httpx.Timeout = DEFAULT_TIMEOUT) -> None:
        self._base_url = base_url.rstrip("/")
        self._limit = limit

    async def ask_for_agent(
        self, token: str, conversation_id: str, reason: str, language: str, detail: str
    ) -> HandoffQueued | None:
        """The queue the conversation joined, or None when the web service cannot take it."""
        body: dict[str, Any] = {
            "conversation_id": conversation_id,
            "reason": reason,
            "language": language,
            "detail": detail,
        }
        try:
            answer = await request_json(
                pooled(self._limit), "POST", self._base_url + "/api/handoffs", token, json=body
            )
        except (ServiceUnavailable, ServiceRefused):
            return None
        return cast(HandoffQueued, answer) if isinstance(answer, dict) else None
