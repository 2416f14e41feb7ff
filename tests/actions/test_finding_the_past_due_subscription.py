"""action_list_past_due, action_select_subscription, action_explain_balance."""

from __future__ import annotations

import pytest

from actions.settle_balance import ActionExplainBalance, ActionListPastDue, ActionSelectSubscription
from tests.support.trackers import responses, run, slots, tracker


async def test_several_past_due_subscriptions_are_listed_with_buttons(tokens, domain):
    messages, events = await run(ActionListPastDue(), tracker(tokens["alice"]), domain)
    assert responses(messages) == ["utter_past_due_several"]
    assert [b["title"] for b in messages[0]["buttons"]] == [
        "Exchange Online (Plan 1)",
        "Microsoft 365 Business Standard",
    ]
    assert "€151.20" in messages[0]["lines"] and "€40.00" in messages[0]["lines"]
    assert slots(events) == {"subscription_id": None}


async def test_amounts_follow_the_french_locale(tokens, domain):
    messages, _ = await run(ActionListPastDue(), tracker(tokens["alice"], {"language": "fr"}), domain)
    assert "- Microsoft 365 Business Standard\u00a0: 151,20\u00a0€" in messages[0]["lines"]


async def test_a_single_past_due_subscription_goes_straight_to_its_options(tokens, domain):
    messages, events = await run(ActionListPastDue(), tracker(tokens["dave"]), domain)
    assert responses(messages) == ["utter_summary_card_declined", "utter_options_owner"]
    assert messages[0]["amount"] == "€120.00"
    assert slots(events)["subscription_id"] == "sub_fabrikam_business_basic"


async def test_a_named_subscription_is_chosen_directly(tokens, domain):
    trk = tracker(tokens["alice"], {"subscription": "Exchange Online (Plan 1)"})
    messages, events = await run(ActionListPastDue(), trk, domain)
    assert responses(messages) == ["utter_summary_insufficient_funds", "utter_options_not_owner"]
    assert slots(events)["subscription_id"] == "sub_contoso_exchange_plan1"


@pytest.mark.parametrize(
    ("named", "expected_id", "expected"),
    [
        (
            "Microsoft 365 Business Standard",
            "sub_contoso_business_standard",
            ["utter_summary_card_expired", "utter_options_owner"],
        ),
        (
            "exchange",
            "sub_contoso_exchange_plan1",
            ["utter_summary_insufficient_funds", "utter_options_not_owner"],
        ),
    ],
)
async def test_choosing_a_subscription_by_name(tokens, domain, named, expected_id, expected):
    trk = tracker(tokens["alice"], {"subscription": named}, intent="choose_subscription")
    messages, events = await run(ActionSelectSubscription(), trk, domain)
    assert responses(messages) == expected
    assert slots(events)["subscription_id"] == expected_id


async def test_another_tenants_subscription_is_unknown(tokens, domain):
    trk = tracker(
        tokens["alice"], {"subscription": "Microsoft 365 Business Basic"}, intent="choose_subscription"
    )
    messages, events = await run(ActionSelectSubscription(), trk, domain)
    assert responses(messages) == ["utter_subscription_unknown"]
    assert "subscription_id" not in slots(events)


async def test_a_user_without_billing_role_is_told_why(tokens, domain):
    messages, events = await run(ActionListPastDue(), tracker(tokens["carol"]), domain)
    assert responses(messages) == ["utter_no_billing_role"]
    assert events == [{"event": "slot", "name": "no_billing_role", "value": True, "timestamp": None}]


@pytest.mark.parametrize("token", [None, "forged.token.value"])
async def test_a_missing_or_forged_token_asks_to_sign_in(domain, token):
    messages, events = await run(ActionListPastDue(), tracker(token), domain)
    assert responses(messages) == ["utter_sign_in_required"]
    assert events == []


async def test_billing_down_gets_an_apology_and_keeps_the_state(tokens, domain, monkeypatch):
    monkeypatch.setattr("actions.billing_client.BILLING_URL", "http://127.0.0.1:9")
    trk = tracker(tokens["alice"], {"subscription_id": "sub_contoso_business_standard"})
    messages, events = await run(ActionListPastDue(), trk, domain)
    assert responses(messages) == ["utter_billing_unavailable"]
    assert events == []


async def test_how_much_again_repeats_the_chosen_subscription(tokens, domain):
    trk = tracker(tokens["alice"], {"subscription_id": "sub_contoso_business_standard"}, intent="ask_balance")
    messages, events = await run(ActionExplainBalance(), trk, domain)
    assert responses(messages) == ["utter_summary_card_expired"]
    assert messages[0]["amount"] == "€151.20"
    assert events == []


async def test_a_billing_service_that_hangs_times_out_with_an_apology(tokens, domain, monkeypatch):
    import asyncio

    import httpx

    async def never_answer(reader, writer):
        await asyncio.sleep(30)

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    monkeypatch.setattr("actions.billing_client.BILLING_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setattr("actions.billing_client.TIMEOUT", httpx.Timeout(0.5, connect=0.5))
    monkeypatch.setattr("actions.billing_client._clients", __import__("weakref").WeakKeyDictionary())
    try:
        started = asyncio.get_running_loop().time()
        messages, events = await run(ActionListPastDue(), tracker(tokens["alice"]), domain)
        assert asyncio.get_running_loop().time() - started < 3
    finally:
        server.close()
    assert responses(messages) == ["utter_billing_unavailable"]
    assert events == []


async def test_a_stale_settle_button_never_starts_another_subscription(tokens, domain, billing):
    """The portal still shows "Settle balance" on Exchange, paid meanwhile in another tab."""
    import httpx

    paid = httpx.post(
        f"{billing['url']}/v1/subscriptions/sub_contoso_exchange_plan1/settle",
        headers={"Authorization": f"Bearer {tokens['bob']}", "Idempotency-Key": "stale-button-test-1"},
        json={"payment_method_id": "pm_bob_mc_4444", "amount": "40.00"},
        timeout=10,
    )
    assert paid.status_code == 200, paid.text
    trk = tracker(tokens["alice"], {"subscription": "Exchange Online (Plan 1)"}, intent="settle_balance")
    messages, events = await run(ActionListPastDue(), trk, domain)
    assert responses(messages) == ["utter_subscription_unknown"]
    assert messages[0]["name"] == "Exchange Online (Plan 1)"
    assert [b["title"] for b in messages[0]["buttons"]] == ["Microsoft 365 Business Standard"]
    assert slots(events) == {"subscription": None, "subscription_id": None}
