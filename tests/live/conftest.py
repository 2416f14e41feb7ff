"""Live conversations: billing, the action server and Rasa on the trained model, over REST."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from reading.language import detect_language
from tests.support.stack import (
    ROOT,
    TEST_SECRET,
    DemoDataReset,
    live_stack,
    mint_token,
)

MODEL = Path(os.environ.get("RASA_MODEL", ROOT / "models" / "current.tar.gz"))
AGENT_PASSWORD = "agent-live-test"


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make test` (it trains the model first)")
    workdir = tmp_path_factory.mktemp("stack")
    with live_stack(workdir, MODEL, AGENT_PASSWORD, HANDOFF_TIMEOUT_SECONDS="600") as started:
        yield started


@pytest.fixture(scope="session")
def demo_reset(stack: dict[str, Any]) -> Iterator[DemoDataReset]:
    reset = DemoDataReset(stack["database_url"])
    yield reset
    reset.close()


@pytest.fixture(autouse=True)
def fresh_demo_data(demo_reset: DemoDataReset) -> None:
    """Every conversation starts from the demo data of docs/design.md."""
    demo_reset()


class Conversation:
    """One user talking to the assistant over the REST channel, as the widget would."""

    def __init__(self, stack: dict[str, Any], user: str, language: str):
        self.stack = stack
        self.language = language  # every reply must be in it (change it when the user switches)
        self.sender = f"live-{uuid.uuid4().hex[:12]}"
        self.token = mint_token(stack["database_url"], user)
        self.transcript: list[tuple[str, list[dict[str, Any]]]] = []

    def say(self, text: str) -> list[dict[str, Any]]:
        response = httpx.post(
            self.stack["rasa"].url + "/webhooks/rest/webhook",
            timeout=30,
            json={"sender": self.sender, "message": text, "metadata": {"token": self.token}},
        )
        response.raise_for_status()
        replies = list(response.json())
        self.transcript.append((text, replies))
        for reply in replies:
            sentence = reply.get("text", "")
            if len(sentence.split()) >= 3:
                assert detect_language(sentence) == self.language, f"not in {self.language}: {sentence}"
        return replies

    def texts(self, replies: list[dict[str, Any]]) -> str:
        return "\n".join(r.get("text", "") for r in replies)

    def billing(self, path: str) -> Any:
        return httpx.get(
            self.stack["billing"].url + path, headers={"Authorization": f"Bearer {self.token}"}, timeout=10
        ).json()

    def tracker(self) -> dict[str, Any]:
        api_token = jwt.encode({"user": {"username": "qa", "role": "admin"}}, TEST_SECRET, algorithm="HS256")
        response = httpx.get(
            f"{self.stack['rasa'].url}/conversations/{self.sender}/tracker",
            headers={"Authorization": f"Bearer {api_token}"},
            timeout=10,
        )
        response.raise_for_status()
        return dict(response.json())


@pytest.fixture
def talk(stack: dict[str, Any]):
    def start(user: str, language: str = "en") -> Conversation:
        return Conversation(stack, user, language)

    return start
