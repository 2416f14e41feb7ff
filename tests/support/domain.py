"""The domain as one dict, merged from its feature files in `domain/` (as Rasa merges them)."""

from __future__ import annotations

import warnings
from typing import Any

from rasa.shared.core.domain import Domain

from tests.support.stack import ROOT


def load_domain() -> dict[str, Any]:
    with warnings.catch_warnings():  # Rasa warns about slot auto-fill on every load, whatever the domain
        warnings.simplefilter("ignore", UserWarning)
        return dict(Domain.load(str(ROOT / "domain")).as_dict())
