"""An action that fails answers the user clearly and leaks nothing: never rasa-sdk's 500 with the tracker."""

from __future__ import annotations

import httpx
import pytest

from tests.support.domain import load_domain


def action_call(token: str, **slots: object) -> dict:
    latest = {"text": "yes", "intent": {"name": "affirm"}, "entities": [], "metadata": {"token": token}}
    return {
        "next_action": "action_settle",
        "sender_id": "live-failing-action",
        "version": "3.6.2",
        "domain": {},
        "tracker": {
            "sender_id": "live-failing-action",
            "slots": {"language": "fr", **slots},
            "latest_message": latest,
            "events": [{"event": "user", "text": "yes", "metadata": {"token": token}, "parse_data": latest}],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }


@pytest.fixture
def bob_token(talk) -> str:
    return str(talk("bob@contoso.com").token)


def test_a_failing_action_answers_with_the_domains_apology_and_no_tracker(stack, bob_token) -> None:
    # Billing refuses an amount that is not an amount (422): an answer no action expects, so it raises.
    call = action_call(
        bob_token,
        confirming=True,
        subscription_id="sub_contoso_exchange_plan1",
        payment_method_id="pm_bob_mc_4444",
        settle_key="live-failing-action-key",
        confirmed_amount={"not": "an amount"},
    )
    response = httpx.post(stack["actions"].url + "/webhook", json=call, timeout=30)
    assert response.status_code == 200, response.text[:300]
    assert response.json() == {"events": [], "responses": [{"response": "utter_action_failed"}]}
    assert bob_token not in response.text
    log = stack["actions"].log_text()
    assert "action action_settle failed: BillingRefused" in log
    assert bob_token not in log and "not an amount" not in log


def test_the_apology_exists_in_both_languages() -> None:
    domain = load_domain()
    variants = domain["responses"]["utter_action_failed"]
    assert [v.get("condition", [{}])[0].get("value", "en") for v in variants] == ["en", "fr"]
    assert all(v["buttons"][0]["payload"] == "/human_handoff" for v in variants)


def test_unknown_routes_and_bodies_keep_their_status(stack) -> None:
    assert httpx.get(stack["actions"].url + "/nowhere", timeout=10).status_code == 404
    webhook = stack["actions"].url + "/webhook"
    unknown = httpx.post(webhook, json={"next_action": "action_nothing"}, timeout=10)
    assert 400 <= unknown.status_code < 500
