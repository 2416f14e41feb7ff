"""Handoff against the real stack over REST: each trigger queues the conversation in the web service
and pauses the assistant; /restart and a new session keep it paused; an agent's hand-back resumes
the payment where it stood."""

from __future__ import annotations

from typing import Any

import httpx
import jwt
import pytest

from tests.live.conftest import AGENT_PASSWORD
from tests.live.test_conversations import CHOOSE_EXCHANGE, said
from tests.support.dates import yy
from tests.support.stack import TEST_SECRET


class Console:
    """An agent using the console's API with their session cookie."""

    def __init__(self, stack: dict[str, Any], email: str):
        self.url = stack["web"].url
        signed_in = httpx.post(
            f"{self.url}/console/signin", data={"email": email, "password": AGENT_PASSWORD}
        )
        assert signed_in.status_code == 303, signed_in.text
        self.cookies = {"console_session": signed_in.cookies["console_session"]}

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(
            method, f"{self.url}/console/api{path}", cookies=self.cookies, timeout=30, **kwargs
        )

    def waiting_for(self, sender: str) -> dict[str, Any]:
        waiting = self.call("GET", "/queue").json()["waiting"]
        [handoff] = [h for h in waiting if h["conversation_id"] == sender]
        return handoff


@pytest.fixture
def agent(stack: dict[str, Any]) -> Console:
    return Console(stack, "agent1@support.example")


def bot_texts_since(tracker: dict[str, Any], count: int) -> list[str]:
    return [e.get("text") or "" for e in tracker["events"][count:] if e["event"] == "bot"]


def test_asking_for_a_person_pauses_the_assistant_and_queues_the_conversation(talk, agent) -> None:
    alice = talk("alice@contoso.com", "fr")
    # Conversations earlier tests left waiting (two messages not understood bring in a person) are
    # ahead in the shared queue: the position told is the queue's.
    ahead = len(agent.call("GET", "/queue").json()["waiting"])
    replies = alice.say("je veux parler à un conseiller")
    said(replies, "J'ai demandé à un conseiller", f"numéro {ahead + 1}", "Arrêter d'attendre")
    assert alice.tracker()["paused"]
    handoff = agent.waiting_for(alice.sender)
    assert (handoff["reason"], handoff["language"], handoff["user"]) == (
        "asked_for_person",
        "fr",
        "alice@contoso.com",
    )
    assert alice.say("il y a quelqu'un ?") == []  # the assistant says nothing while paused


def test_restart_and_a_new_session_do_not_unpause_a_handed_off_conversation(talk, agent, stack) -> None:
    alice = talk("alice@contoso.com")
    alice.say("I want to talk to a person")
    agent.call("POST", f"/handoffs/{agent.waiting_for(alice.sender)['id']}/claim").raise_for_status()
    said(alice.say("/restart"), "can't be restarted now")
    assert alice.tracker()["paused"]
    token = jwt.encode({"user": {"username": "qa", "role": "admin"}}, TEST_SECRET, algorithm="HS256")
    executed = httpx.post(
        f"{stack['rasa'].url}/conversations/{alice.sender}/execute",
        headers={"Authorization": f"Bearer {token}"},
        json={"name": "action_session_start"},
        timeout=30,
    )
    executed.raise_for_status()
    tracker = alice.tracker()
    assert tracker["paused"]
    assert [e["event"] for e in tracker["events"]].count("session_started") >= 2


def test_two_fallbacks_in_a_row_bring_in_a_person(talk, agent) -> None:
    bob = talk("bob@contoso.com")
    # Two bare answers out of context (dates, when nothing asked for one): the assistant cannot use them.
    first = bob.say("12/27")
    assert first and "support agent" not in bob.texts(first)  # a clarifying answer, no handoff yet
    assert not bob.tracker()["paused"]
    replies = bob.say("04/29")
    said(replies, "I'll bring in a person", "I've asked a support agent to join")
    assert agent.waiting_for(bob.sender)["reason"] == "repeated_fallback"


@pytest.mark.date_sensitive
def test_three_declined_payments_bring_in_an_agent(talk, agent) -> None:
    bob = talk("bob@contoso.com")
    bob.say("pay my balance")
    bob.say(CHOOSE_EXCHANGE)
    bob.say("add a new card")
    for answer in ("4000 0000 0000 0002", f"11/{yy(3)}", "321", "Bob Durand"):
        bob.say(answer)
    said(bob.say("yes"), "declined")
    for _ in range(2):
        bob.say("use the one ending in 0002")
        replies = bob.say("yes")
    said(replies, "Three payment attempts have failed", "I've asked a support agent to join")
    assert bob.tracker()["paused"]
    handoff = agent.waiting_for(bob.sender)
    assert handoff["reason"] == "payment_failures"
    detail = agent.call("GET", f"/handoffs/{handoff['id']}").json()
    assert [t["what"] for t in detail["tried"]].count("payment declined") == 3
    assert "4000 0000 0000 0002" not in str(detail)


def test_a_user_without_billing_role_who_wants_help_gets_an_agent(talk, agent) -> None:
    carol = talk("carol@contoso.com", "fr")
    said(carol.say("je voudrais payer le solde de notre abonnement"), "rôle de facturation")
    said(carol.say("/human_handoff"), "J'ai demandé à un conseiller")
    handoff = agent.waiting_for(carol.sender)
    assert handoff["reason"] == "no_billing_role"
    context = agent.call("GET", f"/handoffs/{handoff['id']}").json()["context"]
    assert context["billing_error"] and context["subscriptions"] == []


@pytest.mark.date_sensitive
def test_the_agent_hands_back_and_the_form_resumes_where_it_stood(talk, agent) -> None:
    alice = talk("alice@contoso.com")
    alice.say("pay my balance")
    alice.say('/choose_subscription{"subscription": "Microsoft 365 Business Standard"}')
    said(alice.say("/update_expiry"), "new expiration date")
    alice.say("actually I'd like to talk to a real person")
    handoff = agent.waiting_for(alice.sender)
    assert handoff["detail"] == "was giving a new expiry date"
    agent.call("POST", f"/handoffs/{handoff['id']}/claim").raise_for_status()
    sent = agent.call(
        "POST", f"/handoffs/{handoff['id']}/messages", json={"text": "Hello Alice, how can I help?"}
    )
    sent.raise_for_status()
    count = len(alice.tracker()["events"])
    agent.call("POST", f"/handoffs/{handoff['id']}/handback", json={"mode": "resume"}).raise_for_status()
    tracker = alice.tracker()
    assert not tracker["paused"]
    assert bot_texts_since(tracker, count)[:2] == [
        "You're back with the assistant.",
        "What is the card's new expiration date? (month/year, e.g. 12/27)",
    ]
    alice.say(f"12/{yy(3)}")
    said(alice.say("123"), "Pay €151.20")
    said(alice.say("yes"), "Receipt reference")
    audit = [
        e["action"]
        for e in agent.call("GET", "/audit", params={"handoff_id": handoff["id"]}).json()["entries"]
    ]
    assert audit == ["requested", "claimed", "agent_message", "handed_back"]
