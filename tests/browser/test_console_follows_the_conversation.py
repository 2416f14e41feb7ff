"""The agent console as an agent works a conversation: nothing to click before one is chosen, the newest
message in view, names instead of ids, the user typing, a long message, the context after a payment."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import bot_says, console_sign_in, log, queue_item, reply_button, say, sign_in

BOB = "bob@contoso.com"
ACTIONS = ("claim", "reply-text", "send", "back-resume", "back-restart", "back-payment")


def test_the_console_keeps_up_with_the_conversation(new_context, shots) -> None:
    agent = new_context().new_page()
    console_sign_in(agent, "agent1@support.example")
    expect(agent.locator("#chosen")).to_be_hidden()
    for action in ACTIONS:
        expect(agent.locator(f"#{action}")).to_be_disabled()
    shots(agent, "nothing-chosen")

    user = new_context().new_page()
    sign_in(user, BOB)
    user.evaluate("SettleChat.open()")
    say(user, "I want to talk to a person")
    bot_says(user, "I've asked a support agent to join")
    for n in range(1, 15):
        say(user, f"detail {n}: the Exchange renewal failed again this morning")
    expect(log(user).locator(".sc-user")).to_have_count(15)

    queue_item(agent, "waiting", BOB).click()
    transcript = agent.locator("#transcript")
    expect(transcript).to_contain_text("detail 14:")
    agent.wait_for_function(
        "() => { const l = document.getElementById('transcript');"
        " return l.scrollHeight > l.clientHeight + 50"
        " && l.scrollTop + l.clientHeight >= l.scrollHeight - 4; }"
    )
    context = agent.locator("#context")
    expect(context).to_contain_text("Contoso Ltd")
    expect(context).to_contain_text("Billing admin")
    expect(context).to_contain_text("Exchange Online (Plan 1): 40.00 EUR")
    expect(agent.locator("#conv-title")).to_have_text(f"{BOB} · Contoso Ltd")
    expect(agent.locator("#claim")).to_be_enabled()
    expect(agent.locator("#reply-text")).to_be_disabled()
    agent.get_by_role("button", name="Claim").click()
    bot_says(user, "Agent One from support has joined")
    expect(agent.locator("#reply-text")).to_be_enabled()

    box = user.get_by_role("textbox", name="Message to the billing assistant")
    box.press_sequentially("one more thing", delay=20)
    expect(agent.locator("#user-typing")).to_have_text(f"{BOB} is typing…")
    shots(agent, "user-typing")
    box.fill("")
    long_message = " ".join(f"Step {n}: I opened the invoice and the renewal was refused." for n in range(31))
    assert 1000 < len(long_message) < 2000, len(long_message)
    say(user, long_message)
    expect(transcript).to_contain_text("Step 30: I opened the invoice and the renewal was refused.")
    expect(transcript).not_to_contain_text("message too long")
    expect(agent.locator("#user-typing")).to_be_hidden(timeout=10_000)
    agent.wait_for_function(
        "() => { const l = document.getElementById('transcript');"
        " return l.scrollTop + l.clientHeight >= l.scrollHeight - 4; }"
    )

    agent.get_by_role("button", name="Let the assistant take the payment").click()
    # A hand-back carries no user token (none is stored): one tap brings the user's own.
    reply_button(user, "Show my past-due subscriptions").click()
    bot_says(user, "Which one do you want to settle?")
    reply_button(user, "Exchange Online (Plan 1)").click()
    bot_says(user, "insufficient funds")
    reply_button(user, "Retry the card").click()
    bot_says(user, "Pay €40.00")
    reply_button(user, re.compile(r"^Yes, pay")).click()
    bot_says(user, "Receipt reference")
    expect(context).not_to_contain_text("Exchange Online (Plan 1): 40.00 EUR")
    expect(context).to_contain_text("Microsoft 365 Business Standard: 151.20 EUR")
    shots(agent, "context-after-payment")
