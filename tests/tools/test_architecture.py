"""The architecture contracts of .importlinter hold, and break when a forbidden import is added: the
check runs on a copy of the packages with one more module, so the test fails if the contracts stop
catching what they are there to catch."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = (
    "actions",
    "assistant",
    "billing",
    "channels",
    "clients",
    "components",
    "measure",
    "reading",
    "security",
    "web",
)


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The packages' Python files and the contracts, in a directory of their own."""
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("static", "__pycache__")
        )
    shutil.copy(ROOT / ".importlinter", tmp_path)
    return tmp_path


def test_the_contracts_hold_on_the_code_as_it_is(copy: Path) -> None:
    result = lint_imports(copy)
    assert result.returncode == 0, result.stdout[-4000:]


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("web/forbidden.py", "from billing import seed", "web does not import billing"),
        ("actions/forbidden.py", "import web", "actions, channels, components import neither"),
        ("channels/forbidden.py", "from billing.db import make_engine", "actions, channels, components"),
        ("billing/forbidden.py", "from clients.billing import BillingClient", "billing imports none"),
        ("security/forbidden.py", "import channels.rest", "clients, security, reading, measure"),
        ("actions/forbidden.py", "import httpx", "only clients/ speaks HTTP"),
        ("channels/forbidden.py", "import requests", "only clients/ speaks HTTP"),
    ],
)
def test_a_forbidden_import_breaks_a_contract(copy: Path, module: str, line: str, contract: str) -> None:
    kept_before = verdict(lint_imports(copy).stdout, contract)
    (copy / module).write_text(f'"""An import the architecture forbids."""\n\n{line}\n')
    result = lint_imports(copy)
    assert result.returncode != 0, f"{module}: `{line}` went through\n{result.stdout[-2000:]}"
    assert (kept_before, verdict(result.stdout, contract)) == ("KEPT", "BROKEN"), result.stdout[-3000:]
    assert module.replace("/", ".").removesuffix(".py") in result.stdout


def verdict(report: str, contract: str) -> str:
    """KEPT or BROKEN: the verdict lint-imports printed for the contract whose name starts so."""
    rows = [row for row in report.splitlines() if row.startswith(contract)]
    assert rows, f"no contract named {contract!r}:\n{report[:2000]}"
    return "BROKEN" if "BROKEN" in rows[0] else "KEPT"
