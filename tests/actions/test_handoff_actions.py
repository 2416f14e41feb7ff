"""The assistant's side of the handoff: asking for an agent, the guards that keep a paused
conversation paused, and picking the payment up again when the conversation comes back."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker

from actions.fallback import ActionFallback
from actions.handoff import ActionHandoffReturned, ActionRequestHandoff, ActionRestart, form_in_progress
from actions.language import ActionSessionStart
from tests.actions.demo import use_settings
from tests.support.trackers import Conversation, responses, run, slots, tracker


def paused(trk: Tracker) -> Tracker:
    state = trk.current_state()
    state["paused"] = True
    return Tracker.from_dict(state)


def returned(mode: str, slot_values: dict[str, Any] | None = None, token: str | None = None) -> Tracker:
    return tracker(
        token,
        slot_values,
        text="/handoff_returned",
        intent="handoff_returned",
        entities=[{"entity": "handoff_mode", "value": mode}],
    )


async def test_a_new_session_keeps_a_handed_off_conversation_paused(domain):
    _, events = await run(ActionSessionStart(), paused(tracker(None)), domain)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "session_started" and kinds[-2:] == ["pause", "action"]


async def test_a_new_session_of_a_conversation_with_the_assistant_is_not_paused(domain):
    _, events = await run(ActionSessionStart(), tracker(None), domain)
    assert "pause" not in [e["event"] for e in events]


async def test_restart_is_refused_while_an_agent_has_the_conversation(domain):
    messages, events = await run(
        ActionRestart(), paused(tracker(None, text="/restart", intent="restart")), domain
    )
    assert responses(messages) == ["utter_restart_blocked"] and [e["event"] for e in events] == ["followup"]


async def test_restart_works_when_the_assistant_has_the_conversation(domain):
    _, events = await run(ActionRestart(), tracker(None, text="/restart", intent="restart"), domain)
    assert [e["event"] for e in events] == ["restart"]


async def test_without_the_support_service_the_user_is_told_where_to_go(domain, tokens, monkeypatch):
    use_settings(web_url="http://127.0.0.1:9")
    trk = tracker(tokens["alice"], text="a person please", intent="human_handoff")
    messages, events = await run(ActionRequestHandoff(), trk, domain)
    assert responses(messages) == ["utter_handoff_unavailable"]
    assert "pause" not in [e["event"] for e in events]


async def test_the_form_in_progress_is_remembered_for_the_hand_back():
    trk = Tracker.from_dict(
        {
            "sender_id": "s",
            "slots": {},
            "latest_message": {"intent": {"name": "human_handoff"}},
            "events": [
                {"event": "active_loop", "name": "settle_form"},
                {"event": "user", "text": "a person", "parse_data": {"intent": {"name": "human_handoff"}}},
                {"event": "active_loop", "name": None},
            ],
        }
    )
    assert form_in_progress(trk) == "settle_form"
    assert form_in_progress(tracker(None)) is None


async def test_the_agent_is_told_what_the_user_was_doing(domain, tokens, monkeypatch):
    asked: dict[str, Any] = {}

    async def queue(conversation_id, token, reason, language, detail):
        asked.update(reason=reason, language=language, detail=detail, token=token)
        return {"position": 2, "estimated_wait_seconds": 240}

    monkeypatch.setattr("actions.handoff.ask_for_agent", queue)
    trk = tracker(tokens["bob"], {"settle_method": "update_expiry"}, text="a person", intent="human_handoff")
    trk.events[:0] = [{"event": "active_loop", "name": "settle_form"}]
    messages, events = await run(ActionRequestHandoff(), trk, domain)
    assert asked == {
        "reason": "asked_for_person",
        "language": "en",
        "detail": "was giving a new expiry date",
        "token": tokens["bob"],
    }
    assert responses(messages) == ["utter_handoff_waiting"]
    assert (messages[0]["position"], messages[0]["minutes"]) == (2, 4)
    assert slots(events)["handoff_form"] == "settle_form"
    assert [e["event"] for e in events][-2:] == ["action", "pause"]


async def test_payments_that_keep_failing_are_the_reason_given(domain, tokens, monkeypatch):
    asked: dict[str, Any] = {}

    async def queue(conversation_id, token, reason, language, detail):
        asked.update(reason=reason, detail=detail)
        return {"position": 1, "estimated_wait_seconds": 60}

    monkeypatch.setattr("actions.handoff.ask_for_agent", queue)
    trk = tracker(tokens["dave"], {"payments_keep_failing": True}, text="yes", intent="affirm")
    messages, events = await run(ActionRequestHandoff(), trk, domain)
    assert asked == {"reason": "payment_failures", "detail": ""}  # the procedure is over: no detail
    assert responses(messages) == ["utter_handoff_reason_payment_failures", "utter_handoff_waiting"]
    assert slots(events)["payments_keep_failing"] is False


# Where the procedure stood when an agent took the conversation.
EXPIRY_PENDING = {
    "handoff_form": "settle_form",
    "subscription_id": "sub_contoso_business_standard",
    "settle_method": "update_expiry",
    "method_checked": "sub_contoso_business_standard:update_expiry",
}


async def test_resume_asks_the_pending_detail_again(domain):
    messages, events = await run(ActionHandoffReturned(), returned("resume", EXPIRY_PENDING), domain)
    assert responses(messages) == ["utter_handoff_back"]
    assert messages[0]["handoff"] == {"state": "bot"}
    assert events[-1] == {"event": "followup", "name": "settle_form", "timestamp": None}
    assert slots(events)["handoff_form"] is None


async def test_resume_asks_again_to_confirm_a_pending_payment(domain):
    state = {
        "handoff_form": "settle_form",
        "confirming": True,
        "settle_key": "settle-k",
        "subscription": "Exchange",
        "payment_card_label": "Visa •••• 4242",
        "payment_amount_label": "€40.00",
    }
    messages, events = await run(ActionHandoffReturned(), returned("resume", state), domain)
    assert responses(messages) == ["utter_handoff_back", "utter_confirm_payment"]
    assert messages[1]["amount"] == "€40.00" and messages[1]["card"] == "Visa •••• 4242"
    assert "followup" not in [e["event"] for e in events]


async def test_resume_at_a_question_that_needs_billing_offers_one_tap(domain):
    # A hand-back carries no user token: the options (billing's) come with the tap's token.
    state = {"handoff_form": "settle_form", "subscription_id": "sub_contoso_business_standard"}
    messages, events = await run(ActionHandoffReturned(), returned("resume", state), domain)
    assert responses(messages) == ["utter_handoff_back", "utter_handoff_continue"]
    assert "followup" not in [e["event"] for e in events]


async def test_resume_with_nothing_pending_says_so(domain):
    messages, _ = await run(ActionHandoffReturned(), returned("resume"), domain)
    assert responses(messages) == ["utter_handoff_back", "utter_handoff_nothing_pending"]


@pytest.mark.parametrize(
    ("mode", "said"), [("timeout", "utter_handoff_timeout"), ("cancelled", "utter_handoff_cancelled")]
)
async def test_timeout_and_cancel_say_so_and_resume(domain, mode, said):
    messages, events = await run(ActionHandoffReturned(), returned(mode, EXPIRY_PENDING), domain)
    assert responses(messages) == [said]
    assert events[-1]["name"] == "settle_form"


async def test_the_assistant_takes_the_payment_from_the_start(domain):
    # An agent's hand-back (Rasa's trigger_intent) carries no user token, and none is stored: the
    # user is offered one tap, whose message brings the token the list needs.
    state = {"subscription_id": "x", "subscription": "Microsoft 365 E3", "confirming": True}
    messages, events = await run(ActionHandoffReturned(), returned("payment", state), domain)
    assert responses(messages) == ["utter_handoff_take_payment", "utter_handoff_continue"]
    assert slots(events)["subscription_id"] is None and slots(events)["confirming"] is False
    assert {"event": "active_loop", "name": None, "timestamp": None} in events
    assert "followup" not in [e["event"] for e in events]


async def test_taking_the_payment_waits_for_the_users_tap_even_with_a_token(domain, tokens):
    state = {"subscription_id": "x", "subscription": "Microsoft 365 E3", "confirming": True}
    messages, _ = await run(ActionHandoffReturned(), returned("payment", state, tokens["bob"]), domain)
    assert responses(messages) == ["utter_handoff_take_payment", "utter_handoff_continue"]


async def test_start_over_forgets_the_attempt(domain):
    messages, events = await run(ActionHandoffReturned(), returned("restart", {"settle_key": "k"}), domain)
    assert responses(messages) == ["utter_handoff_start_over", "utter_handoff_nothing_pending"]
    assert slots(events)["settle_key"] is None
    assert "followup" not in [e["event"] for e in events]


async def test_a_fallback_starts_a_streak_and_an_understood_message_breaks_it(domain):
    _, events = await run(ActionFallback(), tracker(None, text="zorglub", intent="nlu_fallback"), domain)
    assert slots(events) == {"fallback_streak": True}
    # The streak ends by the slot's mapping, in Rasa's action_extract_slots.
    chat = Conversation(None, domain, {"fallback_streak": True})
    await chat.message("blorf", intent="nlu_fallback")
    assert chat.slot("fallback_streak") is True
    await chat.message("12/27", intent="inform")  # a bare answer may be out of context: still a streak
    assert chat.slot("fallback_streak") is True
    await chat.message("hello", intent="greet")
    assert chat.slot("fallback_streak") is False


async def test_a_second_message_not_understood_brings_in_a_person(domain, tokens, monkeypatch):
    use_settings(web_url="http://127.0.0.1:9")  # support unreachable
    trk = tracker(tokens["bob"], text="04/29", intent="inform")
    earlier = [
        {"event": "user", "text": "12/27", "parse_data": {"intent": {"name": "inform"}}},
        {"event": "action", "name": "action_fallback"},
        {"event": "bot", "text": "Sorry, I didn't understand."},
        {"event": "rewind"},
        {"event": "action", "name": "action_listen"},
    ]
    trk.events[:0] = earlier
    messages, events = await run(ActionFallback(), trk, domain)
    assert responses(messages) == ["utter_handoff_unavailable"]
    assert events[0]["event"] == "rewind" and slots(events)["fallback_streak"] is False
    trk.events[1] = {"event": "action", "name": "utter_greet"}  # the previous message was understood
    messages, _ = await run(ActionFallback(), trk, domain)
    assert responses(messages) != ["utter_handoff_unavailable"]
