"""Schema-driven fuzzing: whatever a signed-in admin sends, valid or not, the API never answers 5xx."""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from billing_support import ALICE
from hypothesis import HealthCheck, given, settings
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

# Every operation billing serves, written down: a new one fails the coverage test below until it is
# added here, and so fuzzed (the list used to be read from the schema it was compared with).
OPERATIONS = [
    ("GET", "/v1/me"),
    ("GET", "/v1/payment-methods"),
    ("GET", "/v1/subscriptions"),
    ("GET", "/v1/subscriptions/{subscription_id}"),
    ("GET", "/v1/subscriptions/{subscription_id}/charges"),
    ("PATCH", "/v1/payment-methods/{payment_method_id}"),
    ("POST", "/v1/payment-methods"),
    ("POST", "/v1/subscriptions/{subscription_id}/settle"),
    ("POST", "/v1/vault/card-numbers"),
    ("POST", "/v1/vault/security-codes"),
]


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

    assert served == OPERATIONS, f"served but not fuzzed: {sorted(set(served) - set(OPERATIONS))}"
