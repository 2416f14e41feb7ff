"""Rasa's per-turn work without its waste: the same validation of action answers, the same event classes."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from components import hot_path

ANSWERS = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "language", "value": "fr"}], "responses": [{"text": "Bonjour"}]},
    {"events": [{"event": "followup", "name": "action_listen"}]},
    {},
]
MALFORMED = [
    {"events": [{"name": "language"}]},  # an event without its type
    {"events": "slot"},
    {"events": [{"event": 3}]},
]


@pytest.mark.parametrize("answer", ANSWERS)
def test_a_well_formed_answer_passes_both(answer):
    rasa = RemoteAction("action_x", None)
    assert rasa._validate_action_result(answer) is True  # Rasa's own, unpatched here
    assert hot_path.validate_action_result(rasa, answer) is True


@pytest.mark.parametrize("answer", MALFORMED)
def test_a_malformed_answer_fails_both_with_the_same_error(answer):
    rasa = RemoteAction("action_x", None)
    with pytest.raises(ValidationError) as theirs:
        rasa._validate_action_result(answer)
    with pytest.raises(ValidationError) as ours:
        hot_path.validate_action_result(rasa, answer)
    assert ours.value.message == theirs.value.message
    assert "Failed to validate Action server response" in ours.value.message


def test_the_schema_is_checked_once(monkeypatch):
    from jsonschema.validators import validator_for

    schema = RemoteAction.action_response_format_spec()
    checks = []
    check = validator_for(schema).check_schema
    monkeypatch.setattr(validator_for(schema), "check_schema", lambda s: checks.append(s) or check(s))
    hot_path._validator.cache_clear()
    for answer in ANSWERS * 3:
        hot_path.validate_action_result(None, answer)
    assert checks == [schema]  # once, not per answer (Rasa's `jsonschema.validate` checks it every time)


def test_every_event_type_resolves_to_the_class_rasa_finds():
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    names = {cls.type_name for cls in all_subclasses(Event)}
    assert len(names) > 20
    for name in names:
        assert hot_path.resolve_by_type(name) is Event.resolve_by_type(name), name


def test_an_unknown_event_type_is_refused_or_defaulted_as_rasa_does():
    from rasa.shared.core.events import Event, UserUttered

    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        hot_path.resolve_by_type("no_such_event")
    assert hot_path.resolve_by_type("no_such_event", UserUttered) is UserUttered
    assert hot_path.resolve_by_type("topic") is None is Event.resolve_by_type("topic")


def test_the_launcher_installs_both():
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event

    originals = RemoteAction._validate_action_result, Event.__dict__["resolve_by_type"]
    try:
        hot_path.install()
        assert RemoteAction._validate_action_result is hot_path.validate_action_result
        assert Event.resolve_by_type is hot_path.resolve_by_type
        assert Event.resolve_by_type("slot").type_name == "slot"
    finally:
        RemoteAction._validate_action_result = originals[0]
        Event.resolve_by_type = originals[1]
