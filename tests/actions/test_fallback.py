"""When the assistant is unsure (actions/fallback.py): say what was wrong, or offer the close
candidates; in the procedure, ask the pending question again; a card number goes to the procedure."""

from __future__ import annotations

import pytest

from actions.fallback import ActionFallback
from tests.actions.demo import named
from tests.support.trackers import Conversation, responses, run, tracker


@pytest.mark.parametrize(
    ("text", "ranking", "said"),
    [
        ("", [], "utter_empty_message"),
        ("🙂🙂🙂", [], "utter_empty_message"),
        ("a" * 5000, [], "utter_too_long"),
        (
            "card thing",
            [{"name": "use_other_card", "confidence": 0.4}, {"name": "add_card", "confidence": 0.38}],
            "utter_did_you_mean",
        ),
        ("blorp", [{"name": "greet", "confidence": 0.3}], "utter_default"),
    ],
)
async def test_fallback_says_what_was_wrong(domain, text, ranking, said):
    trk = tracker(None, {"language": "fr"}, text=text, intent="nlu_fallback")
    trk.latest_message["intent_ranking"] = ranking
    messages, events = await run(ActionFallback(), trk, domain)
    assert responses(messages) == [said]
    # Not understanding (unlike an empty or huge message) starts a streak: twice brings in a person.
    streak = said in ("utter_did_you_mean", "utter_default")
    assert [e["event"] for e in events] == (["rewind", "slot"] if streak else ["rewind"])
    if said == "utter_did_you_mean":
        assert [b["title"] for b in messages[0]["buttons"]] == [
            "Utiliser une autre carte",
            "Ajouter une carte",
        ]
        assert [b["payload"] for b in messages[0]["buttons"]] == ["/use_other_card", "/add_card"]


async def test_in_the_procedure_the_pending_question_is_asked_again_with_its_buttons(tokens, domain):
    alice = Conversation(tokens["alice"], domain)
    await alice.say("pay Standard", "settle_balance", named("Standard"))
    await alice.message("zorglub", "nlu_fallback")
    messages, events = await alice.run(ActionFallback())
    assert responses(messages) == ["utter_in_flow_not_understood", "utter_options_owner"]
    assert events[0]["event"] == "rewind" and events[-1] == {
        "event": "slot",
        "timestamp": None,
        "name": "fallback_streak",
        "value": True,
    }


async def test_a_card_number_not_understood_goes_to_the_procedure(domain):
    vault = {"card_number_token": "pan_tok_1", "brand": "visa", "last4": "4242"}
    trk = tracker(None, text="blah •••• 4242", intent="nlu_fallback", metadata={"vault": vault})
    messages, events = await run(ActionFallback(), trk, domain)
    assert messages == [] and events == [{"event": "followup", "name": "settle_form", "timestamp": None}]
