"""How the runner reaches a stack: the REST channel, the tracker, billing, sign-in and the demo-data reset.

`own_stack` starts billing, actions, Rasa and web from the Procfile lines as tests/live does, on the date
the case files are written for (CASES_TODAY); `running_stack` talks to one `make run` already started
(demo sign-in through the portal), which the cases expect on that date too (BILLING_TODAY and
ASSISTANT_TODAY, see tests/e2e/README.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import httpx
import jwt

from tests.support.stack import (
    ROOT,
    TEST_SECRET,
    DemoDataReset,
    live_stack,
    mint_token,
    read_env_file,
)

MODEL = Path(os.environ.get("RASA_MODEL", ROOT / "models" / "current.tar.gz"))
AGENT_PASSWORD = "agent-e2e-test"
PORTAL_COOKIE = "portal_session"
# The day the case files' dates are written for ("11/2026 is already past", Dave's card "(03/2028)"):
# billing (and its demo data, seeded relative to its clock) and the actions run on it, whatever TEST_TODAY.
CASES_TODAY = "2026-12-02"


class TransportError(RuntimeError):
    """The stack did not answer as a stack should (refused, unreachable, not JSON)."""


class Transport(Protocol):
    """What the runner needs from a stack; tests of the runner pass a canned one."""

    def reset_demo_data(self) -> None: ...

    def sign_in(self, user: str) -> str:
        """A user token, as the portal gives the widget."""
        ...

    def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        """The replies of the REST channel to one message."""
        ...

    def tracker(self, sender: str) -> dict[str, Any]: ...

    def billing(self, token: str, path: str) -> tuple[int, Any]:
        """(status, JSON body) of a GET on the billing API, as the user."""
        ...


class HttpTransport:
    def __init__(
        self,
        rasa_url: str,
        billing_url: str,
        rasa_jwt_secret: str,
        sign_in: Callable[[str], str],
        reset: Callable[[], None] | None,
    ):
        self.rasa_url = rasa_url.rstrip("/")
        self.billing_url = billing_url.rstrip("/")
        self._api_token = jwt.encode({"user": {"username": "qa", "role": "admin"}}, rasa_jwt_secret, "HS256")
        self._sign_in = sign_in
        self._reset = reset
        self._tokens: dict[str, str] = {}  # one sign-in per user and run: tokens live an hour
        self._http = httpx.Client(timeout=60)

    def close(self) -> None:
        self._http.close()

    def reset_demo_data(self) -> None:
        if self._reset is not None:
            self._reset()

    def sign_in(self, user: str) -> str:
        if user not in self._tokens:
            self._tokens[user] = self._sign_in(user)
        return self._tokens[user]

    def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        body = {"sender": sender, "message": text, "metadata": metadata}
        response = self._request("POST", f"{self.rasa_url}/webhooks/rest/webhook", json=body)
        if response.status_code != 200:
            raise TransportError(f"the REST channel refused the message: HTTP {response.status_code} "
                                 f"{response.text[:300]}")
        replies = self._json(response)
        if not isinstance(replies, list):
            raise TransportError(f"the REST channel answered {replies!r}, not a list of replies")
        return replies

    def tracker(self, sender: str) -> dict[str, Any]:
        response = self._request(
            "GET",
            f"{self.rasa_url}/conversations/{sender}/tracker",
            headers={"Authorization": f"Bearer {self._api_token}"},
        )
        if response.status_code != 200:
            raise TransportError(
                f"reading the tracker failed: HTTP {response.status_code} {response.text[:300]}"
            )
        return dict(self._json(response))

    def billing(self, token: str, path: str) -> tuple[int, Any]:
        response = self._request(
            "GET", self.billing_url + path, headers={"Authorization": f"Bearer {token}"}
        )
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, response.text[:300]

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.request(method, url, **kwargs)
        except httpx.HTTPError as error:
            raise TransportError(f"{method} {url} failed: {type(error).__name__}: {error}") from None

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise TransportError(f"not JSON: {response.text[:300]}") from None


@contextmanager
def own_stack(workdir: Path, model: Path = MODEL) -> Iterator[HttpTransport]:
    """Billing, actions, Rasa and web on throwaway stores under `workdir`, as tests/live starts them."""
    if not model.exists():
        raise TransportError(f"no trained model at {model}: run `make model` first")
    with ExitStack() as started:
        stack = started.enter_context(
            live_stack(workdir, model, AGENT_PASSWORD, today=CASES_TODAY, HANDOFF_TIMEOUT_SECONDS="600")
        )
        database_url, rasa, billing = stack["database_url"], stack["rasa"], stack["billing"]
        reset = DemoDataReset(database_url, today=CASES_TODAY)
        started.callback(reset.close)
        transport = HttpTransport(
            rasa.url, billing.url, TEST_SECRET, lambda user: mint_token(database_url, user), reset
        )
        started.callback(transport.close)
        yield transport


def stack_settings() -> dict[str, str]:
    """The settings `make run` started with: defaults.env, then .env, then this environment (as honcho)."""
    settings: dict[str, str] = {}
    for name in ("defaults.env", ".env"):
        if (ROOT / name).exists():
            settings.update(read_env_file(ROOT / name))
    passed = ("RASA_JWT_SECRET", "DATABASE_URL", "BILLING_TODAY")
    return {**settings, **{k: v for k, v in os.environ.items() if k in passed}}


def portal_sign_in(web_url: str) -> Callable[[str], str]:
    """Signs a seeded user in as the portal's demo sign-in page does; the cookie is the user token."""

    def sign_in(user: str) -> str:
        try:
            response = httpx.post(f"{web_url.rstrip('/')}/signin", data={"user": user}, timeout=10)
        except httpx.HTTPError as error:
            raise TransportError(f"signing {user} in at {web_url} failed: {error} (is it up?)") from None
        token = response.cookies.get(PORTAL_COOKIE)
        if response.status_code != 303 or not token:
            raise TransportError(f"the portal did not sign {user} in: HTTP {response.status_code} "
                                 f"{response.text[:200]}")
        return str(token)

    return sign_in


@contextmanager
def running_stack(rasa_url: str, billing_url: str, web_url: str, reset: bool) -> Iterator[HttpTransport]:
    """A stack started by `make run`. `reset` puts the demo data back in its billing database before
    every case (the cases expect the demo data of docs/design.md)."""
    settings = stack_settings()
    secret = settings.get("RASA_JWT_SECRET")
    if not secret:
        raise TransportError("RASA_JWT_SECRET is not set (in the environment, .env or defaults.env): "
                             "the runner reads the tracker through Rasa's HTTP API with it")
    with ExitStack() as started:
        resetter = None
        if reset:
            resetter = DemoDataReset(  # seeded on the running billing's date
                settings.get("DATABASE_URL", "sqlite:///var/billing.db"),
                today=settings.get("BILLING_TODAY") or date.today().isoformat(),
            )
            started.callback(resetter.close)
        transport = HttpTransport(rasa_url, billing_url, secret, portal_sign_in(web_url), resetter)
        started.callback(transport.close)
        yield transport
