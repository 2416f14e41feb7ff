"""What the web service asks of Rasa's HTTP API (server-side JWT): read a conversation, pause and
resume it, speak in it as an agent, and make the assistant pick it up again."""

from __future__ import annotations

from typing import Any

import httpx
import jwt

from web.history import api_token


class RasaUnavailable(Exception):
    """Rasa did not answer, or refused."""


class RasaGateway:
    def __init__(
        self,
        rasa_url: str,
        jwt_secret: str,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self.rasa_url = rasa_url.rstrip("/")
        self.jwt_secret = jwt_secret
        self.timeout = timeout
        self.transport = transport  # tests put a stand-in for Rasa here

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.rasa_url, timeout=self.timeout, transport=self.transport)

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_token(self.jwt_secret)}"}

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            async with self._client() as client:
                response = await client.request(method, path, headers=self._headers(), **kwargs)
        except httpx.HTTPError as error:
            raise RasaUnavailable(f"Rasa is not reachable ({type(error).__name__}).") from None
        if response.status_code >= 400:
            raise RasaUnavailable(f"Rasa answered {response.status_code}.")
        return response.json() if response.content else None

    async def events(self, conversation_id: str) -> list[dict[str, Any]]:
        tracker = await self._call("GET", f"/conversations/{conversation_id}/tracker")
        return list((tracker or {}).get("events") or [])

    async def say(self, conversation_id: str, text: str, metadata: dict[str, Any]) -> None:
        """A message to the user, shown in the widget now and kept in the transcript."""
        await self._call(
            "POST",
            f"/conversations/{conversation_id}/tracker/events",
            params={"output_channel": "latest", "execute_side_effects": "true"},
            json=[{"event": "bot", "text": text, "metadata": metadata}],
        )

    async def give_back(self, conversation_id: str, mode: str, language: str) -> None:
        """Resume the conversation, then trigger the assistant (`trigger_intent` alone does nothing
        while paused)."""
        await self._call(
            "POST", f"/conversations/{conversation_id}/tracker/events", json=[{"event": "resume"}]
        )
        await self._call(
            "POST",
            f"/conversations/{conversation_id}/trigger_intent",
            params={"output_channel": "latest"},
            json={"name": "handoff_returned", "entities": {"handoff_mode": mode, "language": language}},
        )

    async def typing(self, conversation_id: str, agent_name: str, typing: bool) -> None:
        """The agent typing indicator, through our socket.io channel (nothing is stored)."""
        token = jwt.encode({"purpose": "agent_typing"}, self.jwt_secret, algorithm="HS256")
        try:
            async with self._client() as client:
                await client.post(
                    "/webhooks/socketio/agent_typing",
                    headers={"Authorization": f"Bearer {token}"},
                    json={"session_id": conversation_id, "agent_name": agent_name, "typing": typing},
                )
        except httpx.HTTPError:
            raise RasaUnavailable("Rasa is not reachable.") from None
