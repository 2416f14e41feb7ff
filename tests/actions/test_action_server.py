"""The action server registers every action the domain names, and nothing abstract; `--today` fixes the
date it answers on."""

from __future__ import annotations

from datetime import date

import pytest
from rasa_sdk.executor import ActionExecutor

from actions import clock, server


def test_every_domain_action_is_registered(domain):
    executor = ActionExecutor()
    executor.register_package("actions")  # what actions.server (rasa-sdk's create_app) does
    custom = {a for a in domain["actions"] if a.startswith(("action_", "validate_"))} - {
        "action_session_start"
    }
    assert custom <= set(executor.actions)
    assert "action_session_start" in executor.actions


# --- The clock option --------------------------------------------------------------------------------


class _NoServer:
    def run(self, *args: object, **kwargs: object) -> None:
        """Started, not served: the test looks at the clock it was started with."""


@pytest.mark.date_sensitive
def test_the_today_option_fixes_every_actions_date(monkeypatch):
    monkeypatch.setattr(server, "create", _NoServer)
    monkeypatch.setattr(server, "mask_secrets_in_logs", lambda: None)
    monkeypatch.setenv("ASSISTANT_TODAY", "2031-01-01")  # the option wins over the environment
    server.main(["--port", "0", "--today", "2029-06-01"])
    assert clock.today() == date(2029, 6, 1)


@pytest.mark.date_sensitive
def test_assistant_today_is_the_environments_way_to_fix_the_date(monkeypatch):
    monkeypatch.setattr(server, "create", _NoServer)
    monkeypatch.setattr(server, "mask_secrets_in_logs", lambda: None)
    monkeypatch.setenv("ASSISTANT_TODAY", "2029-06-01")
    server.main(["--port", "0"])
    assert clock.today() == date(2029, 6, 1)


def test_an_assistant_today_that_is_not_a_date_stops_the_server(monkeypatch, capsys):
    monkeypatch.setattr(server, "create", _NoServer)
    monkeypatch.setattr(server, "mask_secrets_in_logs", lambda: None)
    monkeypatch.setenv("ASSISTANT_TODAY", "tomorrow")
    with pytest.raises(SystemExit) as exit_:
        server.main(["--port", "0"])
    refused = capsys.readouterr().err
    assert exit_.value.code == 2 and "ASSISTANT_TODAY must be a date written YYYY-MM-DD" in refused


def test_a_today_option_that_is_not_a_date_is_refused(capsys):
    with pytest.raises(SystemExit) as exit_:
        server.main(["--today", "01/06/2029"])
    assert exit_.value.code == 2 and "not a date (YYYY-MM-DD)" in capsys.readouterr().err
