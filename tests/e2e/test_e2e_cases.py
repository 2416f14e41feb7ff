"""Every case of tests/e2e/cases/*.yml as one test, against one stack started for the session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.case_format import Case, CaseFileError, load_cases
from tests.e2e.runner import run_case
from tests.e2e.transport import MODEL, Transport, own_stack

CASES = Path(__file__).parent / "cases"


def _cases() -> list[Case] | CaseFileError:
    try:
        return load_cases([CASES])
    except CaseFileError as problem:
        return problem


LOADED = _cases()


@pytest.fixture(scope="session")
def e2e_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Transport]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make model` (or `make test`, which trains it)")
    with own_stack(tmp_path_factory.mktemp("e2e-stack")) as transport:
        yield transport


@pytest.mark.parametrize(
    "case",
    LOADED if isinstance(LOADED, list) else [pytest.param(None, id="case-files")],
    ids=lambda case: case.name if isinstance(case, Case) else None,
)
def test_case(case: Case | None, request: pytest.FixtureRequest) -> None:
    if case is None:  # a case file that cannot be read fails here, before any stack starts
        pytest.fail(str(LOADED), pytrace=False)
    result = run_case(case, request.getfixturevalue("e2e_stack"))
    if not result.passed:
        pytest.fail(result.failure or result.error or "", pytrace=False)
