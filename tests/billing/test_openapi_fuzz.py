"""Schema-driven fuzzing: whatever a signed-in admin sends, valid or not, the API never answers 5xx."""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from billing_support import ALICE, SECRET
from hypothesis import HealthCheck, given, settings
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from billing.app import create_app
from billing.settings import Settings


def _documented_operations() -> list[tuple[str, str]]:
    """(method, path) of every operation the app documents, read from an app that never opens its store."""
    settings_ = Settings(_env_file=None, DATABASE_URL="sqlite://", AUTH_TOKEN_SECRET=SECRET)  # type: ignore[call-arg]
    app = create_app(settings_)
    app.state.engine.dispose()
    return sorted(
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    )


OPERATIONS = _documented_operations()


@pytest.fixture(scope="module", autouse=True)
def hypothesis_home(tmp_path_factory):
    """Hypothesis keeps its caches in a temporary directory, not in the working tree."""
    set_hypothesis_home_dir(tmp_path_factory.mktemp("hypothesis"))
    yield
    set_hypothesis_home_dir(None)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_no_server_error_for_any_generated_request(app, auth, method, path):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operation = schema[path][method]
    has_inputs = bool(operation.body) or any(True for _ in operation.iter_parameters())
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE] if has_inputs else [GenerationMode.POSITIVE]
    headers = auth(ALICE)  # a valid token: the requests reach the operation, not just the sign-in check
    statuses: Counter[int] = Counter()

    for mode in modes:

        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case):
            response = case.call_and_validate(headers=headers, checks=[not_a_server_error])
            statuses[response.status_code] += 1

        run()

    assert sum(statuses.values()) >= 1
    assert set(statuses) - {401}, f"every request was refused as unauthenticated: {statuses}"
    assert all(status < 500 for status in statuses), statuses


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_operation_of_the_served_schema_is_fuzzed(app):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)

    served = sorted((op.ok().method.upper(), op.ok().path) for op in schema.get_all_operations())

    assert served == OPERATIONS
    assert ("POST", "/v1/subscriptions/{subscription_id}/settle") in OPERATIONS
    assert ("POST", "/v1/payment-methods") in OPERATIONS
