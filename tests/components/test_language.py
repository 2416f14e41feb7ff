"""The language of each message is read in the Rasa process, and the `language` slot follows it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.message import Message

from components.language import LanguageDetector
from tests.support.domain import load_domain
from tests.support.trackers import Conversation

ROOT = Path(__file__).parents[2]


def language_entities(text: str, intent: str = "inform", entities: list | None = None) -> list[dict]:
    message = Message(data={"text": text, "intent": {"name": intent, "confidence": 1.0},
                            "entities": list(entities or [])})
    return LanguageDetector().process([message])[0].get("entities")


def test_a_french_or_english_message_gets_its_language_as_an_entity():
    assert language_entities("je veux régler mon solde") == [
        {"entity": "language", "value": "fr", "start": 0, "end": 24, "extractor": "LanguageDetector"}
    ]
    assert [e["value"] for e in language_entities("how much do I owe?")] == ["en"]


def test_the_entities_nlu_found_are_kept():
    found = {"entity": "subscription", "value": "Exchange Online", "start": 14, "end": 22}
    entities = language_entities("je veux payer Exchange", "settle_balance", [found])
    assert entities[0] == found and entities[1]["value"] == "fr"


@pytest.mark.parametrize("text", ["12/27", "ok", "/affirm", "", "😀"])
def test_a_message_that_leans_no_way_adds_nothing(text):
    assert language_entities(text) == []


def test_a_switch_request_is_left_to_the_action():
    # "in French please" is written in English and asks for French: only action_switch_language knows.
    assert language_entities("in French please", "switch_language") == []


@pytest.fixture(scope="module")
def domain() -> dict:
    return load_domain()


async def test_the_slot_follows_the_language_written_and_keeps_it_otherwise(domain):
    chat = Conversation(None, domain, language="en")
    await chat.message("je veux payer mon solde", intent="settle_balance")
    assert chat.slot("language") == "fr"
    await chat.message("12/27")  # leans no way: the language stays
    assert chat.slot("language") == "fr"
    await chat.message("how much do I owe?", intent="ask_balance")
    assert chat.slot("language") == "en"


def test_the_pipeline_runs_it_after_the_intent_classifiers():
    pipeline = [c["name"] for c in yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]]
    assert pipeline[-1] == "components.language.LanguageDetector"
    assert pipeline.index("FallbackClassifier") < pipeline.index("components.language.LanguageDetector")
