"""A user token serves the message that carried it, and no later one: a message without a token is
never answered with an earlier message's (an anonymous "yes" once paid from Bob's conversation)."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.context import user_token
from actions.settle import ActionSettle
from tests.actions.test_paying_the_balance import EXCHANGE, confirmed
from tests.support.trackers import billing_get, responses, run, tracker


def with_earlier_message(
    token_before: str | None, token_now: str | None, slots: dict | None = None
) -> Tracker:
    latest = tracker(token_now, slots or {"confirming": True}, text="yes", intent="affirm")
    state = latest.current_state()
    earlier = {
        "event": "user",
        "text": "settle my balance",
        "metadata": {"token": token_before} if token_before else {},
        "parse_data": {"intent": {"name": "settle_balance"}, "entities": []},
    }
    session = {"event": "session_started", "metadata": {"token": token_before}}
    state["events"] = [session, earlier, {"event": "action", "name": "action_listen"}, *state["events"]]
    state["slots"]["session_started_metadata"] = {"token": token_before}
    return Tracker.from_dict(state)


def test_the_token_comes_from_the_latest_user_message_only(tokens):
    assert user_token(with_earlier_message(tokens["bob"], tokens["alice"])) == tokens["alice"]
    assert user_token(with_earlier_message(tokens["bob"], None)) is None


async def test_an_anonymous_yes_after_a_signed_message_pays_nothing(domain, tokens, billing):
    state = await confirmed(tokens, domain, "bob", EXCHANGE, "4444")  # "Pay €40.00 ...?"
    messages, _ = await run(ActionSettle(), with_earlier_message(tokens["bob"], None, state), domain)
    assert responses(messages) == ["utter_sign_in_required"]
    charges = billing_get(billing, tokens["bob"], f"/v1/subscriptions/{EXCHANGE}/charges")
    assert [c["outcome"] for c in charges].count("succeeded") == 0
    # Bob's own "yes", with his token, pays.
    messages, _ = await run(ActionSettle(), with_earlier_message(None, tokens["bob"], state), domain)
    assert responses(messages) == ["utter_payment_succeeded"]
