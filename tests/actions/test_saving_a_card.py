"""action_update_expiry and action_add_card: save what the form collected, or say why billing refused."""

from __future__ import annotations

import httpx

from actions.add_card import ActionAddCard
from actions.expiry_form import ActionUpdateExpiry
from tests.support.trackers import billing_get, responses, run, slots, tracker

STANDARD = "sub_contoso_business_standard"
EXCHANGE = "sub_contoso_exchange_plan1"


def vault(billing, token, path, body):
    """What the input channel does with card data typed in the chat: a single-use token."""
    response = httpx.post(billing["url"] + path, json=body, headers={"Authorization": f"Bearer {token}"})
    response.raise_for_status()
    return response.json()["token"]


async def test_the_new_expiry_is_saved_and_the_payment_offered(tokens, domain, billing):
    cvc = vault(billing, tokens["alice"], "/v1/vault/security-codes", {"cvc": "123"})
    trk = tracker(
        tokens["alice"], {"subscription_id": STANDARD, "new_expiry": "12/2027", "security_code_token": cvc}
    )
    messages, events = await run(ActionUpdateExpiry(), trk, domain)
    assert responses(messages) == ["utter_expiry_updated", "utter_confirm_payment"]
    assert slots(events)["new_expiry"] is None and slots(events)["confirming"] is True
    card = billing_get(billing, tokens["alice"], f"/v1/subscriptions/{STANDARD}")["payment_method"]
    assert (card["exp_month"], card["exp_year"]) == (12, 2027)


async def test_a_refused_expiry_change_says_why_and_changes_nothing(tokens, domain, billing):
    bobs_code = vault(billing, tokens["bob"], "/v1/vault/security-codes", {"cvc": "123"})
    trk = tracker(
        tokens["alice"],
        {"subscription_id": STANDARD, "new_expiry": "12/2027", "security_code_token": bobs_code},
    )
    messages, events = await run(ActionUpdateExpiry(), trk, domain)
    assert responses(messages) == ["utter_card_refused"]
    assert slots(events) == {"new_expiry": None, "security_code_token": None}
    card = billing_get(billing, tokens["alice"], f"/v1/subscriptions/{STANDARD}")["payment_method"]
    assert card["exp_year"] == 2026


async def test_a_new_card_is_saved_and_the_payment_offered(tokens, domain, billing):
    number = vault(billing, tokens["bob"], "/v1/vault/card-numbers", {"number": "4242424242424242"})
    cvc = vault(billing, tokens["bob"], "/v1/vault/security-codes", {"cvc": "123"})
    trk = tracker(
        tokens["bob"],
        {
            "subscription_id": EXCHANGE,
            "card_number_token": number,
            "card_expiry": "12/2028",
            "security_code_token": cvc,
            "card_holder": "Bob Durand",
        },
    )
    messages, events = await run(ActionAddCard(), trk, domain)
    assert responses(messages) == ["utter_card_added", "utter_confirm_payment"]
    assert messages[0]["card"] == "Visa •••• 4242 (12/2028)"
    assert slots(events)["card_number_token"] is None and slots(events)["confirming"] is True


async def test_a_refused_card_says_why_in_the_users_language(tokens, domain, billing):
    number = vault(billing, tokens["bob"], "/v1/vault/card-numbers", {"number": "4242424242424242"})
    alices_code = vault(billing, tokens["alice"], "/v1/vault/security-codes", {"cvc": "123"})
    trk = tracker(
        tokens["bob"],
        {
            "subscription_id": EXCHANGE,
            "card_number_token": number,
            "card_expiry": "12/2028",
            "security_code_token": alices_code,
            "card_holder": "Bob Durand",
            "language": "fr",
        },
    )
    messages, events = await run(ActionAddCard(), trk, domain)
    assert responses(messages) == ["utter_card_refused"]
    assert slots(events)["card_number_token"] is None
    owned = [
        c["last4"] for c in billing_get(billing, tokens["bob"], "/v1/payment-methods")["payment_methods"]
    ]
    assert owned == ["4444"]
