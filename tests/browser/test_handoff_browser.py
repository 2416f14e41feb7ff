"""Human handoff in two browser contexts at once: the user's widget and the agents' console."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    HANDOFF_TIMEOUT,
    bot_says,
    console_sign_in,
    log,
    queue_item,
    rasa_tracker,
    reply_button,
    say,
    session_id,
    settle_button,
    sign_in,
)
from tests.support.dates import yy
from tests.support.stack import TEST_SECRET

STANDARD = "Microsoft 365 Business Standard"
ALICE = "alice@contoso.com"
PAN = "4242 4242 4242 4242"  # public test card number


def handoff_bar(page: Page):
    return page.locator(".settlechat .sc-handoff")


def open_conversation(console: Page, section: str, user: str) -> None:
    queue_item(console, section, user).click()
    expect(console.locator("#conv-title")).to_contain_text(user)


def billing_subscription(stack: dict[str, Any], product: str) -> dict[str, Any]:
    from security import tokens

    token = tokens.mint(TEST_SECRET, ALICE, "contoso", ["global_admin"])
    response = httpx.get(
        f"{stack['billing'].url}/v1/subscriptions", headers={"Authorization": f"Bearer {token}"}
    )
    return next(s for s in response.json()["subscriptions"] if s["product"] == product)


def test_french_user_asks_for_a_person_mid_payment_and_the_agent_hands_back(
    new_context, stack, shots
) -> None:
    user = new_context().new_page()
    sign_in(user, ALICE, "fr")
    settle_button(user, STANDARD).click()
    bot_says(user, "a expiré")
    reply_button(user, "Modifier la date d'expiration").click()
    bot_says(user, "nouvelle date d'expiration")
    say(user, "je voudrais parler à un conseiller")
    bot_says(user, "J'ai demandé à un conseiller de vous rejoindre")
    expect(handoff_bar(user)).to_contain_text("En attente d'un conseiller")
    shots(user, "user-waiting")

    agent1 = new_context().new_page()
    console_sign_in(agent1, "agent1@support.example")
    waiting = queue_item(agent1, "waiting", ALICE)
    expect(waiting).to_contain_text("Asked for a person")
    expect(waiting).to_contain_text("(FR)")
    expect(waiting).to_contain_text(re.compile(r"waiting \d+"))
    open_conversation(agent1, "waiting", ALICE)
    context = agent1.locator("#context")
    expect(context).to_contain_text("Asked for a person")
    expect(context).to_contain_text("contoso")
    expect(context).to_contain_text(f"{STANDARD}: 151.20 EUR")
    expect(context).to_contain_text(re.compile(r"Visa •••• \d{4}, expires \d\d/\d{4}"))
    expect(agent1.locator("#transcript")).to_contain_text("je voudrais parler à un conseiller")
    shots(agent1, "console-queue")

    agent2 = new_context().new_page()
    console_sign_in(agent2, "agent2@support.example")
    open_conversation(agent2, "waiting", ALICE)
    agent1.get_by_role("button", name="Claim").click()
    expect(agent1.locator("#notice")).to_have_text("You hold this conversation.")
    agent2.evaluate("document.getElementById('claim').click()")  # the button it showed a moment ago
    expect(agent2.locator("#notice")).to_have_text("Already claimed by Agent One.")
    expect(agent2.locator("#conv-state")).to_have_text("Held by Agent One")
    expect(agent2.locator("#reply-text")).to_be_disabled()
    shots(agent2, "agent2-refused")

    joined = bot_says(user, "Agent One, du support, a rejoint la conversation.")
    expect(joined.locator(".sc-who")).to_have_text("Agent One")
    expect(handoff_bar(user)).to_contain_text("Vous discutez avec Agent One")
    expect(log(user).locator(".sc-waiting .sc-reply")).to_be_disabled()  # "stop waiting" is moot now

    agent1.locator("#reply-text").fill("Bonjour Alice")
    expect(user.locator(".settlechat .sc-typing")).to_contain_text("Agent One écrit")
    agent1.locator("#reply-text").fill("Bonjour Alice, je vois que votre carte Visa a expiré. Je vous aide.")
    started = time.monotonic()
    agent1.get_by_role("button", name="Send").click()
    bot_says(user, "je vois que votre carte Visa a expiré")
    elapsed = time.monotonic() - started
    print(f"agent message reached the widget in {elapsed * 1000:.0f} ms")
    say(user, "merci ! je préfère que l'assistant s'en charge")
    expect(agent1.locator("#transcript")).to_contain_text("je préfère que l'assistant s'en charge")
    shots(agent1, "console-talking")
    shots(user, "user-talking")

    agent1.get_by_role("button", name="Hand back: resume where it stood").click()
    bot_says(user, "Vous êtes de nouveau avec l'assistant.")
    expect(handoff_bar(user)).to_be_hidden()
    bot_says(user, "nouvelle date d'expiration")  # the form picks up where it stood
    say(user, f"12/{yy(3)}")
    bot_says(user, "code de sécurité")
    say(user, "123")
    bot_says(user, "Payer 151,20 €")
    reply_button(user, re.compile(r"^Oui")).click()
    bot_says(user, "RCPT-")
    shots(user, "user-paid")

    subscription = billing_subscription(stack, STANDARD)
    assert (subscription["state"], subscription["outstanding"]["amount"]) == ("active", "0.00")
    expect(agent1.locator("#conv-state")).to_contain_text("Back with the assistant: handed back (resume)")
    assert httpx.get(f"{stack['origin']}/console/api/audit").status_code == 401  # not without a session
    actions = agent1.evaluate(
        "fetch('/console/api/audit').then(r => r.json())"
        ".then(d => d.entries.filter(e => e.handoff_id).map(e => e.action))"
    )
    assert actions[-4:] == ["requested", "claimed", "agent_message", "handed_back"]


def test_nobody_claims_in_time_and_the_assistant_takes_it_back(new_context, stack, shots) -> None:
    user = new_context().new_page()
    sign_in(user, "bob@contoso.com", "en")
    user.evaluate("SettleChat.open()")
    say(user, "I want to talk to a person")
    bot_says(user, "I've asked a support agent to join")
    expect(handoff_bar(user)).to_contain_text("Waiting for a support agent")
    agent = new_context().new_page()
    console_sign_in(agent, "agent1@support.example")
    expect(queue_item(agent, "waiting", "bob@contoso.com")).to_be_visible()
    bot_says(user, "no agent was free").wait_for(timeout=(HANDOFF_TIMEOUT + 15) * 1000)
    expect(handoff_bar(user)).to_be_hidden()
    expect(queue_item(agent, "waiting", "bob@contoso.com")).to_have_count(0)
    expect(queue_item(agent, "follow-up", "bob@contoso.com")).to_be_visible()
    shots(user, "timed-out")
    shots(agent, "follow-up")
    say(user, "I want to pay my balance")  # the assistant answers again
    bot_says(user, "Exchange Online")


def test_the_user_stops_waiting(new_context, stack, shots) -> None:
    user = new_context().new_page()
    sign_in(user, ALICE, "en")
    user.evaluate("SettleChat.open()")
    say(user, "can I speak to a human please")
    bot_says(user, "I've asked a support agent to join")
    agent = new_context().new_page()
    console_sign_in(agent, "agent2@support.example")
    expect(queue_item(agent, "waiting", ALICE)).to_be_visible()
    handoff_bar(user).get_by_role("button", name="Stop waiting").click()
    bot_says(user, "you've stopped waiting")
    expect(handoff_bar(user)).to_be_hidden()
    expect(queue_item(agent, "waiting", ALICE)).to_have_count(0)
    shots(user, "stopped-waiting")
    assert not rasa_tracker(stack, session_id(user, ALICE))["paused"]


def test_an_agent_lets_the_assistant_take_the_payment_of_a_fresh_conversation(
    new_context, stack, shots
) -> None:
    user = new_context().new_page()
    sign_in(user, ALICE, "fr")
    user.evaluate("SettleChat.open()")
    say(user, "bonjour, je veux parler à un humain")  # greeting + request in one message
    bot_says(user, "J'ai demandé à un conseiller")
    agent = new_context().new_page()
    console_sign_in(agent, "agent1@support.example")
    open_conversation(agent, "waiting", ALICE)
    agent.get_by_role("button", name="Claim").click()
    bot_says(user, "a rejoint la conversation")
    agent.locator("#reply-text").fill("Je laisse l'assistant prendre votre paiement.")
    agent.get_by_role("button", name="Send").click()
    bot_says(user, "Je laisse l'assistant prendre votre paiement.")
    agent.get_by_role("button", name="Let the assistant take the payment").click()
    bot_says(user, "Le conseiller m'a demandé de prendre le paiement avec vous.")
    # A hand-back carries no user token (none is stored): one tap brings the user's own.
    reply_button(user, "Voir mes abonnements en retard").click()
    bot_says(user, STANDARD)  # the past-due subscriptions, in French
    expect(log(user)).to_contain_text("Lequel voulez-vous régler")
    expect(handoff_bar(user)).to_be_hidden()
    shots(user, "assistant-takes-payment")
    say(user, "/restart")  # the conversation is the assistant's again: a restart works
    assert not rasa_tracker(stack, session_id(user, ALICE))["paused"]


def test_the_console_never_shows_a_card_number_the_user_typed(new_context, stack, shots) -> None:
    user = new_context().new_page()
    sign_in(user, ALICE, "en")
    user.evaluate("SettleChat.open()")
    say(user, f"my card is {PAN} can someone help")
    say(user, "I want to talk to a person")
    bot_says(user, "I've asked a support agent to join")
    agent = new_context().new_page()
    seen: list[str] = []
    agent.on(
        "response",
        lambda r: seen.append(r.text()) if "/console/api/" in r.url and "stream" not in r.url else None,
    )
    console_sign_in(agent, "agent1@support.example")
    open_conversation(agent, "waiting", ALICE)
    agent.get_by_role("button", name="Claim").click()
    expect(agent.locator("#transcript")).to_contain_text("my card is •••• 4242")
    assert "4242 4242" not in agent.content() and "4242424242424242" not in agent.content()
    assert not any("4242 4242" in body or "4242424242424242" in body for body in seen)
    agent.locator("#reply-text").fill(f"Is it {PAN}?")
    agent.get_by_role("button", name="Send").click()
    expect(agent.locator("#notice")).to_contain_text("looks like a card number")
    expect(log(user)).not_to_contain_text("Is it")
    shots(agent, "masked-transcript")
