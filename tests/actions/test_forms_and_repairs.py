"""Form validation (expiry, security code, holder), invalid answers, fallback answers."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.add_card import ValidateCardForm
from actions.expiry_form import ActionCheckCardEditable, ValidateExpiryForm
from actions.fallback import ActionFallback
from tests.support.trackers import responses, run, slots, tracker


@pytest.mark.parametrize(
    ("text", "value", "said"),
    [
        ("12/27", "12/2027", []),
        ("12/2027", "12/2027", []),
        ("12-2027", "12/2027", []),
        ("décembre 2027", "12/2027", []),
        ("dec 27", "12/2027", []),
        ("exp 1/29", "01/2029", []),
        ("13/27", None, ["utter_invalid_month"]),
        ("02/2020", None, ["utter_expiry_in_past"]),
        ("fin 2027", None, ["utter_expiry_ambiguous"]),
        ("next year", None, ["utter_invalid_expiry_format"]),
    ],
)
async def test_new_expiry_is_read_in_every_common_form(domain, text, value, said):
    dispatcher = CollectingDispatcher()
    trk = tracker(None, text=text, intent="inform")
    result = await ValidateExpiryForm().validate_new_expiry(text, dispatcher, trk, domain)
    assert result["new_expiry"] == value
    assert responses(dispatcher.messages) == said


async def test_two_invalid_answers_in_a_row_explain_the_way_out(domain):
    dispatcher = CollectingDispatcher()
    trk = tracker(None, {"invalid_answers": 1}, text="13/27", intent="inform")
    result = await ValidateExpiryForm().validate_new_expiry("13/27", dispatcher, trk, domain)
    assert responses(dispatcher.messages) == ["utter_invalid_month", "utter_form_help"]
    assert result == {"new_expiry": None, "invalid_answers": 0}


@pytest.mark.parametrize(
    ("vault", "accepted"),
    [
        ({"security_code_token": "cvc_tok_abc"}, True),
        ({"error": "invalid_cvc"}, False),
        ({}, False),
    ],
)
async def test_security_code_is_only_accepted_as_a_vault_token(domain, vault, accepted):
    dispatcher = CollectingDispatcher()
    trk = tracker(None, text="•••", intent="inform", metadata={"vault": vault})
    result = await ValidateExpiryForm().validate_security_code_token("•••", dispatcher, trk, domain)
    assert (result["security_code_token"] is not None) is accepted
    assert responses(dispatcher.messages) == ([] if accepted else ["utter_invalid_cvc"])


async def test_card_number_arrives_masked_with_its_token(domain):
    dispatcher = CollectingDispatcher()
    vault = {"card_number_token": "pan_tok_1", "brand": "visa", "last4": "4242"}
    trk = tracker(None, text="•••• 4242", intent="inform", metadata={"vault": vault})
    result = await ValidateCardForm().validate_card_number_token("•••• 4242", dispatcher, trk, domain)
    assert result["card_number_token"] == "pan_tok_1"
    assert result["new_card_label"] == "Visa •••• 4242"


@pytest.mark.parametrize(
    ("holder", "ok"),
    [
        ("Alice Martin", True),
        ("Zoë O'Brien-Lefèvre", True),
        ("4242", False),
        ("x", False),
        ("a" * 150, False),
    ],
)
async def test_card_holder_name(domain, holder, ok):
    dispatcher = CollectingDispatcher()
    result = await ValidateCardForm().validate_card_holder(holder, dispatcher, tracker(None), domain)
    assert (result["card_holder"] is not None) is ok


async def test_only_the_card_owner_may_change_the_expiry(tokens, domain):
    trk = tracker(tokens["alice"], {"subscription_id": "sub_contoso_exchange_plan1"}, intent="update_expiry")
    messages, events = await run(ActionCheckCardEditable(), trk, domain)
    assert responses(messages) == ["utter_not_card_owner"]
    assert slots(events) == {"card_editable": False}
    trk = tracker(
        tokens["alice"], {"subscription_id": "sub_contoso_business_standard"}, intent="update_expiry"
    )
    messages, events = await run(ActionCheckCardEditable(), trk, domain)
    assert messages == [] and slots(events)["card_editable"] is True


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
    assert [e["event"] for e in events] == ["rewind", "slot"] if streak else ["rewind"]
    if said == "utter_did_you_mean":
        assert [b["title"] for b in messages[0]["buttons"]] == [
            "Utiliser une autre carte",
            "Ajouter une carte",
        ]


async def test_a_card_from_the_secure_form_goes_straight_to_confirmation(tokens, domain, billing):
    import httpx

    from actions.add_card import ActionUseAddedCard

    added = httpx.post(
        billing["url"] + "/v1/payment-methods",
        headers={"Authorization": f"Bearer {tokens['bob']}"},
        json={
            "number": "4242424242424242",
            "exp_month": 12,
            "exp_year": 2028,
            "cvc": "123",
            "holder_name": "Bob Durand",
        },
    ).json()
    trk = tracker(
        tokens["bob"],
        {"subscription_id": "sub_contoso_exchange_plan1"},
        intent="card_added",
        entities=[{"entity": "added_card_id", "value": added["id"]}],
    )
    messages, events = await run(ActionUseAddedCard(), trk, domain)
    assert responses(messages) == ["utter_confirm_payment"]
    assert slots(events)["payment_method_id"] == added["id"]
    # Another user's card id is not theirs to use.
    trk = tracker(
        tokens["alice"],
        {"subscription_id": "sub_contoso_exchange_plan1"},
        intent="card_added",
        entities=[{"entity": "added_card_id", "value": added["id"]}],
    )
    messages, _ = await run(ActionUseAddedCard(), trk, domain)
    assert responses(messages) == ["utter_card_not_found"]
