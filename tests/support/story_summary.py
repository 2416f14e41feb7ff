"""Prints how many test stories passed, from the output folder of `rasa test core`."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def count(path: Path) -> int:
    if not path.exists():
        return 0
    content = yaml.safe_load(path.read_text()) or {}
    return len(content.get("stories") or [])


def main() -> int:
    results = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "results" / "core")
    total = sum(count(p) for p in sorted((ROOT / "tests" / "stories").glob("test_*.yml")))
    failed = count(results / "failed_test_stories.yml")
    print(f"test stories ({total} in tests/stories/test_*.yml): {total - failed} passed, {failed} failed")
    return 1 if failed or total == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
