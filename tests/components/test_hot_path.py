"""Rasa's per-turn work without its waste: the same validation of action answers, the same event classes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
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
    assert checks == []  # a well-formed answer never reaches jsonschema (the compiled schema passes it)
    for answer in MALFORMED * 3:
        with pytest.raises(ValidationError):
            hot_path.validate_action_result(None, answer)
    assert checks == [schema]  # once, not per answer (Rasa's `jsonschema.validate` checks it every time)


EVENT_TYPES = sorted(
    {"slot", "user", "bot", "action", "followup", "active_loop", "reminder", "restart", "pause", "resume"}
)
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5))
VALUES = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=4), inner, max_size=2),
    max_leaves=4,
)
EVENTS = st.dictionaries(
    st.sampled_from(["event", "name", "value", "text", "timestamp", "intent", "entities", "data", "policy"]),
    st.one_of(st.sampled_from(EVENT_TYPES), VALUES),
    max_size=5,
)
ANSWERS_ANY = st.one_of(
    st.fixed_dictionaries(
        {}, optional={"events": st.one_of(st.lists(EVENTS, max_size=3), VALUES), "responses": VALUES}
    ),
    VALUES,
)


@settings(max_examples=400, deadline=None)
@given(ANSWERS_ANY)
def test_the_compiled_schema_accepts_exactly_what_jsonschema_accepts(answer):
    """No answer Rasa would refuse gets through the fast path (and none it accepts is refused)."""
    rasa = RemoteAction("action_x", None)
    try:
        rasa._validate_action_result(answer)
        rasa_accepts = True
    except ValidationError:
        rasa_accepts = False
    try:
        ours = hot_path.validate_action_result(rasa, answer)
    except ValidationError:
        ours = False
    assert ours == rasa_accepts, answer


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


def test_the_launcher_installs_all_three():
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event
    from rasa.utils.endpoints import EndpointConfig

    originals = (
        RemoteAction._validate_action_result,
        Event.__dict__["resolve_by_type"],
        EndpointConfig.session,
    )
    try:
        hot_path.install()
        assert RemoteAction._validate_action_result is hot_path.validate_action_result
        assert Event.resolve_by_type is hot_path.resolve_by_type
        assert Event.resolve_by_type("slot").type_name == "slot"
        assert EndpointConfig.session is hot_path.kept_session
    finally:
        RemoteAction._validate_action_result = originals[0]
        Event.resolve_by_type = originals[1]
        EndpointConfig.session = originals[2]


async def _count_connections(endpoint_calls: int, install: bool) -> tuple[int, list[dict]]:
    """Calls an aiohttp server through Rasa's EndpointConfig; (client connections it saw, bodies)."""
    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    peers: set[tuple] = set()
    bodies: list[dict] = []

    async def webhook(request: web.Request) -> web.Response:
        peers.add(request.transport.get_extra_info("peername"))
        bodies.append({"body": await request.json(), "auth": request.headers.get("X-Key")})
        return web.json_response({"events": [], "responses": []})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    original = EndpointConfig.session
    try:
        if install:
            EndpointConfig.session = hot_path.kept_session
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook", headers={"X-Key": "k"})
        for n in range(endpoint_calls):
            assert await endpoint.request(json={"n": n}, method="post") == {"events": [], "responses": []}
    finally:
        EndpointConfig.session = original
        await runner.cleanup()
    return len(peers), bodies


async def test_the_action_endpoint_keeps_one_connection_instead_of_one_per_call():
    theirs, _ = await _count_connections(10, install=False)
    ours, bodies = await _count_connections(10, install=True)
    assert (theirs, ours) == (10, 1)
    assert bodies == [{"body": {"n": n}, "auth": "k"} for n in range(10)]  # same requests, same headers


async def test_an_idle_kept_connection_is_dropped_before_the_server_would_drop_it(monkeypatch):
    from rasa.utils.endpoints import EndpointConfig

    monkeypatch.setattr(hot_path, "KEEPALIVE_SECONDS", 0.05)
    endpoint = EndpointConfig("http://127.0.0.1:9/")
    async with hot_path.kept_session(endpoint) as first:
        pass
    async with hot_path.kept_session(endpoint) as again:
        assert again is first and not first.closed  # kept, not closed after use
    assert first.connector._keepalive_timeout == 0.05
    await first.close()
    async with hot_path.kept_session(endpoint) as fresh:
        assert fresh is not first  # a closed session is replaced
    await fresh.close()
