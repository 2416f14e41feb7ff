"""A user token serves the message that carried it, and no later one: a message without a token is
never answered with an earlier message's (an anonymous "yes" once paid from Bob's conversation)."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.context import user_token
from actions.settle_payment import ActionSettle
from tests.actions.demo import EXCHANGE, named, succeeded
from tests.support.trackers import Conversation, responses, tracker


def with_earlier_message(token_before: str | None, token_now: str | None) -> Tracker:
    latest = tracker(token_now, {"confirming": True}, text="yes", intent="affirm")
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


async def bob_asked_to_confirm(tokens, domain) -> Conversation:
    bob = Conversation(tokens["bob"], domain)
    await bob.say("pay Exchange", "settle_balance", named("Exchange"))
    turn = await bob.say("retry the card", "retry_card")  # "Pay €40.00 …?"
    assert turn.responses == ["utter_confirm_payment"]
    return bob


async def test_an_anonymous_yes_after_signed_messages_pays_nothing(domain, tokens, billing):
    bob = await bob_asked_to_confirm(tokens, domain)
    turn = await bob.say("yes", "affirm", token=None)
    assert turn.responses == ["utter_sign_in_required"]
    assert succeeded(billing, tokens["bob"], EXCHANGE) == []
    # Bob's own "yes", with his token, starts from the choice again and pays once.
    await bob.say("retry the card", "retry_card")
    turn = await bob.say("yes", "affirm")
    assert turn.responses[0] == "utter_payment_succeeded"
    assert len(succeeded(billing, tokens["bob"], EXCHANGE)) == 1


async def test_after_signing_in_yes_again_pays_the_same_attempt(domain, tokens, billing):
    bob = await bob_asked_to_confirm(tokens, domain)
    key = bob.slot("settle_key")
    turn = await bob.say("yes", "affirm", token=None)
    assert turn.responses == ["utter_sign_in_required"]
    assert bob.slot("confirming") is True and bob.slot("settle_key") == key
    await bob.message("yes", "affirm")  # the rule on `confirming`: action_settle again
    messages, _ = await bob.run(ActionSettle())
    assert responses(messages)[0] == "utter_payment_succeeded"
    assert len(succeeded(billing, tokens["bob"], EXCHANGE)) == 1
