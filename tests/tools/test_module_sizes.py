"""No Python module over 250 lines outside tests and migrations (issue 13): a longer module is split by
responsibility. Lines are counted as `wc -l` counts them (newline characters)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).parents[2]
MAX_LINES = 250
# Top-level directories that hold no module of ours: the tests, the virtual environments, npm's packages,
# run-time data and trained models. Hidden directories (.git, tool caches) and __pycache__ are skipped too.
SKIPPED_TOP = {"tests", "node_modules", "var", "models"}


def skipped(relative: Path) -> bool:
    """Whether a directory, relative to the project root, holds no module this rule covers."""
    top = relative.parts[0]
    if top in SKIPPED_TOP or top.startswith(".venv-"):
        return True
    return any(part.startswith(".") or part in ("__pycache__", "migrations") for part in relative.parts)


def modules(root: Path = ROOT) -> Iterator[Path]:
    """Every *.py file under `root` outside the skipped directories, relative to `root`."""
    pending = [root]
    while pending:
        directory = pending.pop()
        for entry in sorted(directory.iterdir()):
            relative = entry.relative_to(root)
            if entry.is_dir() and not entry.is_symlink():
                if not skipped(relative):
                    pending.append(entry)
            elif entry.suffix == ".py" and entry.is_file():
                yield relative


def line_count(path: Path) -> int:
    return path.read_bytes().count(b"\n")


def test_the_walk_covers_our_packages_and_skips_tests_migrations_and_environments():
    found = set(modules())
    assert {Path("actions/settle.py"), Path("security/cards.py"), Path("tools/dependency_audit.py")} <= found
    assert not [p for p in found if p.parts[0] in SKIPPED_TOP or p.parts[0].startswith(".")]
    assert not [p for p in found if "migrations" in p.parts]


def test_no_module_is_over_250_lines():
    sizes = {path: line_count(ROOT / path) for path in modules()}
    over = sorted((count, str(path)) for path, count in sizes.items() if count > MAX_LINES)
    listing = "\n".join(f"  {path}: {count} lines" for count, path in reversed(over))
    assert not over, f"{len(over)} modules over {MAX_LINES} lines (split them by responsibility):\n{listing}"
