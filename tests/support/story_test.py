"""`rasa test core` on the test stories, not counting the `language` entity as an NLU error.

Rasa's story test compares every entity NLU returns with the story's annotations, and a story cannot
annotate the language a whole message is written in: the `language` entity of
components.language.LanguageDetector would fail every story. It is left out of that comparison only;
tests/components/test_language.py and the e2e language cases check it.
Usage (make test-rasa): python tests/support/story_test.py <every `rasa test core` option>.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from components.language import LanguageDetector  # noqa: E402

EXTRACTOR = LanguageDetector.__name__


def main() -> None:
    import rasa.core.test as core_test
    from rasa.__main__ import main as rasa_main

    compare = core_test._clean_entity_results

    def without_language(text: str, entities: list[dict[str, Any]]) -> Any:
        return compare(text, [e for e in entities if e.get("extractor") != EXTRACTOR])

    core_test._clean_entity_results = without_language
    sys.argv = ["rasa", "test", "core", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
