"""Saying the last answer again (actions/conversation.py `action_repeat`), outside the procedure; inside
it, "say that again" is the form's: the pending question again, with its buttons."""

from __future__ import annotations

from actions.conversation import ActionRepeat
from tests.actions.demo import EXCHANGE, named
from tests.support.trackers import Conversation, responses


async def test_the_previous_answer_again_with_its_buttons(tokens, domain):
    alice = Conversation(tokens["alice"], domain)
    await alice.message("hello", "greet")
    await alice.utter("utter_greet")
    await alice.message("sorry, can you say that again?", "repeat")
    messages, events = await alice.run(ActionRepeat())
    assert [m["text"] for m in messages] == [
        "Hello! I can help you settle an outstanding balance on your Microsoft 365 subscriptions. "
        "What would you like to do?"
    ]
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/settle_balance", "/more_info"]
    assert events == []


async def test_only_the_answer_to_the_previous_message_is_repeated(tokens, domain):
    bob = await bob_told_nothing_was_charged(tokens, domain)
    await bob.message("what?", "repeat")
    messages, _ = await bob.run(ActionRepeat())
    assert [m["text"] for m in messages] == [
        'OK, I haven\'t charged anything. You can pick another card, add one, or say "cancel".'
    ]
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/use_other_card", "/add_card", "/cancel"]


async def test_the_previous_answer_in_the_language_it_was_said_in(tokens, domain):
    alice = Conversation(tokens["alice"], domain, language="fr")
    await alice.message("bonjour", "greet")
    await alice.utter("utter_greet")
    await alice.message("pardon ?", "repeat")
    messages, _ = await alice.run(ActionRepeat())
    assert messages[0]["text"].startswith("Bonjour ! Je peux vous aider")
    assert [b["title"] for b in messages[0]["buttons"]] == ["Régler mon solde", "Plus d'informations"]


async def test_nothing_to_repeat_at_the_start_of_a_conversation(tokens, domain):
    alice = Conversation(tokens["alice"], domain)
    await alice.message("say that again", "repeat")
    messages, _ = await alice.run(ActionRepeat())
    assert responses(messages) == ["utter_nothing_to_repeat"]


async def test_in_the_procedure_the_pending_question_again_with_its_summary(tokens, domain):
    alice = Conversation(tokens["alice"], domain)
    await alice.say("pay Exchange", "settle_balance", named("Exchange"))
    turn = await alice.say("say that again", "repeat")
    assert turn.slots["subscription_id"] == EXCHANGE and turn.requested == "settle_method"
    assert turn.responses == ["utter_summary_insufficient_funds", "utter_options_not_owner"]


async def test_in_the_procedure_the_list_again(tokens, domain):
    alice = Conversation(tokens["alice"], domain)
    await alice.say("pay my balance", "settle_balance")
    turn = await alice.say("again?", "repeat")
    assert turn.requested == "subscription_id" and turn.responses == ["utter_past_due_several"]
    assert [b["title"] for b in turn.asked[0]["buttons"]] == [
        "Exchange Online (Plan 1)",
        "Microsoft 365 Business Standard",
    ]


async def bob_told_nothing_was_charged(tokens, domain) -> Conversation:
    bob = Conversation(tokens["bob"], domain)
    await bob.say("pay Exchange", "settle_balance", named("Exchange"))
    await bob.say("retry the card", "retry_card")
    turn = await bob.say("no", "deny")
    assert turn.responses == ["utter_payment_not_confirmed"]
    return bob
