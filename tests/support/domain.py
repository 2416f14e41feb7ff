"""The domain as one dict, merged from its feature files in `domain/` (as Rasa merges them)."""

from __future__ import annotations

from typing import Any

from rasa.shared.core.domain import Domain

from tests.support.stack import ROOT


def load_domain() -> dict[str, Any]:
    return dict(Domain.load(str(ROOT / "domain")).as_dict())
