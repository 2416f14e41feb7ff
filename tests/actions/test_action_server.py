"""The action server registers every action the domain names, and nothing abstract."""

from __future__ import annotations

from rasa_sdk.executor import ActionExecutor


def test_every_domain_action_is_registered(domain):
    executor = ActionExecutor()
    executor.register_package("actions")  # what actions.server (rasa-sdk's create_app) does
    custom = {a for a in domain["actions"] if a.startswith(("action_", "validate_"))} - {
        "action_session_start"
    }
    assert custom <= set(executor.actions)
    assert "action_session_start" in executor.actions
