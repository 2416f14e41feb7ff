"""The web service's one client of Rasa's HTTP API (server side, with Rasa's `--jwt-secret`): read a
conversation (the widget's history, the console, the owner check), speak in it as an agent, resume it
and make the assistant pick it up again, and relay the agent's typing indicator."""

from __future__ import annotations

from typing import Any

import httpx
import jwt

Event = dict[str, Any]  # one Rasa tracker event, as Rasa's API returns it


class RasaUnavailable(Exception):
    """Rasa did not answer, or refused."""


def api_token(secret: str) -> str:
    """A JWT for Rasa's HTTP API (`--jwt-secret`), kept on the server."""
    return jwt.encode({"user": {"username": "portal", "role": "admin"}}, secret, algorithm="HS256")


class RasaClient:
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

    async def _call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {token or api_token(self.jwt_secret)}"}
        try:
            async with self._client() as client:
                response = await client.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as error:
            raise RasaUnavailable(f"Rasa is not reachable ({type(error).__name__}).") from None
        if response.status_code >= 400:
            raise RasaUnavailable(f"Rasa answered {response.status_code}.")
        try:
            return response.json() if response.content else None
        except ValueError:
            raise RasaUnavailable("Rasa answered something that is not JSON.") from None

    async def events(self, conversation_id: str) -> list[Event]:
        """The conversation's events since its last restart, oldest first."""
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
        """The agent typing indicator, through our socket.io channel (nothing is stored; its answer is
        not checked: a lost indicator is no error)."""
        token = jwt.encode({"purpose": "agent_typing"}, self.jwt_secret, algorithm="HS256")
        body = {"session_id": conversation_id, "agent_name": agent_name, "typing": typing}
        try:
            async with self._client() as client:
                await client.post(
                    "/webhooks/socketio/agent_typing", headers={"Authorization": f"Bearer {token}"}, json=body
                )
        except httpx.HTTPError:
            raise RasaUnavailable("Rasa is not reachable.") from None
