"""Two per-turn costs of Rasa 3.6 that buy nothing, removed with the same results (docs/decisions.md).

- Rasa checks every action server response with `jsonschema.validate(result, schema)`, which first checks
  the schema itself against the JSON Schema meta-schema. Measured with py-spy under the bench at one
  conversation, 57% of the Rasa process's CPU went to re-checking that constant schema, more than NLU and
  the policies together. The schema is Rasa's own (`RemoteAction.action_response_format_spec`): it is
  checked once here, and every response is still validated against it, with the same error and message.
- `Event.resolve_by_type` walks every subclass of `Event` (with an `inspect.isabstract` each) for every
  event it deserialises: each tracker read and each action response. Here the first match by type name
  is looked up in a table built from the same walk, in the same order; a name not in it walks again.
Installed by tools/rasa_run.py, before Rasa starts.
"""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def _validator() -> Any:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """What `RemoteAction._validate_action_result` does, without re-checking the schema."""
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    error = best_match(_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the Action "
        f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


_event_classes: dict[str, Any] = {}


def resolve_by_type(type_name: str, default: Any = None) -> Any:
    """What `Event.resolve_by_type` returns: the first non-abstract subclass with that type name."""
    cls = _event_classes.get(type_name)
    if cls is None:
        from rasa.shared.core.events import Event
        from rasa.shared.utils.common import all_subclasses

        _event_classes.clear()
        for subclass in all_subclasses(Event):
            _event_classes.setdefault(subclass.type_name, subclass)
        cls = _event_classes.get(type_name)
    if cls is not None:
        return cls
    if type_name == "topic":
        return None  # as Rasa: old TopicSet events
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


def install() -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event

    RemoteAction._validate_action_result = validate_action_result
    Event.resolve_by_type = staticmethod(resolve_by_type)
