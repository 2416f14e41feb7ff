"""Three per-turn costs of Rasa 3.6 that buy nothing, removed with the same results (docs/decisions.md).

- Rasa checks every action server response with `jsonschema.validate(result, schema)`, which first checks
  the schema itself against the JSON Schema meta-schema. Measured with py-spy under the bench at one
  conversation, 57% of the Rasa process's CPU went to re-checking that constant schema, more than NLU and
  the policies together. The schema is Rasa's own (`RemoteAction.action_response_format_spec`): it is
  checked once here, and every response is still validated against it, with the same error and message.
  Even then, interpreting its `oneOf` over every event type was 12% of Rasa's CPU at 10 conversations:
  the schema is compiled once to Python (fastjsonschema), and only an answer it refuses goes through
  jsonschema, which decides and words the error as Rasa does.
- Every call to the action server opened a new aiohttp session, so a new connection (7% of Rasa's CPU
  at 10 conversations, plus the action server accepting it). One session per endpoint and event loop is
  kept, with idle connections dropped after 2 s (before the action server's 5 s keep-alive closes them).
- `Event.resolve_by_type` walks every subclass of `Event` (with an `inspect.isabstract` each) for every
  event it deserialises: each tracker read and each action response. Here the first match by type name
  is looked up in a table built from the same walk, in the same order; a name not in it walks again.
Installed by tools/rasa_run.py, before Rasa starts.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Callable
from typing import Any


@functools.cache
def _compiled() -> Callable[[Any], Any]:
    import fastjsonschema
    from rasa.core.actions.action import RemoteAction

    return fastjsonschema.compile(RemoteAction.action_response_format_spec())


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
    import fastjsonschema
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    try:
        _compiled()(result)
        return True
    except fastjsonschema.JsonSchemaException:
        pass  # jsonschema decides, and words the error as Rasa does

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


KEEPALIVE_SECONDS = 2.0


class KeptSession:
    """What `async with endpoint.session() as session` needs, leaving the session open afterwards."""

    def __init__(self, session: Any):
        self.session = session

    async def __aenter__(self) -> Any:
        return self.session

    async def __aexit__(self, *_: Any) -> None:
        return None


def kept_session(self: Any) -> KeptSession:
    """`EndpointConfig.session`, made once per endpoint and event loop (it is only called in a coroutine)."""
    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT

    loop = asyncio.get_running_loop()
    sessions = self.__dict__.setdefault("_kept_sessions", weakref.WeakKeyDictionary())
    session = sessions.get(loop)
    if session is None or session.closed:
        auth = None
        if self.basic_auth:
            auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
        session = aiohttp.ClientSession(
            headers=self.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
        )
        sessions[loop] = session
    return KeptSession(session)


def install() -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event
    from rasa.utils import endpoints

    RemoteAction._validate_action_result = validate_action_result
    Event.resolve_by_type = staticmethod(resolve_by_type)
    endpoints.EndpointConfig.session = kept_session
