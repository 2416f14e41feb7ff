"""A message of words the assistant was never taught is `nlu_fallback`, whatever the model's seed."""

from __future__ import annotations

import pytest
import yaml
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.importers.rasa import RasaFileImporter
from rasa.shared.nlu.training_data.message import Message

from components.unknown_words import UnknownWordsFallback, Vocabulary, taught_words
from tests.components.test_language import ROOT

TAUGHT = Vocabulary(["pay", "my", "bill", "exchange", "paiement", "carte", "oui", "regler"])


def predicted(fallback: UnknownWordsFallback, text: str) -> tuple[str, list[str]]:
    message = Message(data={"text": text, "intent": {"name": "cancel", "confidence": 0.91},
                            "intent_ranking": [{"name": "cancel", "confidence": 0.91}]})
    message = fallback.process([message])[0]
    return message.get("intent")["name"], [r["name"] for r in message.get("intent_ranking")]


# "pai": three letters count only when exact (or held), too many short words are one letter apart.
@pytest.mark.parametrize("text", ["qwerty uiop", "xkcd lorem zzz", "asdfghjkl", "ZZZ!!", "pai"])
def test_no_word_taught_is_not_understood(text):
    assert TAUGHT.knows_none_of(text)


@pytest.mark.parametrize("text", [
    "pay my bill", "Régler", "PAY", "blah blah exchange",  # one word taught is enough
    "exchnage", "paiment", "cartes",  # one letter from a word of four letters or more
    "ouiii", "Myyy", "bil", "payyyy",  # letters held down, or dropped from a double letter
    "12/27", "4242", "•••• 4242", "/affirm", "", "?!", "😀",  # data, payloads, nothing to read
])
def test_a_taught_word_a_typo_or_data_is_left_to_the_model(text):
    assert not TAUGHT.knows_none_of(text)


def test_one_edit_each_way_and_no_more():
    assert all(TAUGHT.knows(w) for w in ["exchange", "exchanges", "exchang", "exchenge", "exhcange"])
    assert not any(TAUGHT.knows(w) for w in ["exchangess", "xechnage", "exxhenge"])


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[UnknownWordsFallback, LocalModelStorage, Resource]:
    storage = LocalModelStorage(tmp_path_factory.mktemp("model"))
    resource = Resource("unknown_words")
    context = ExecutionContext(graph_schema=None, model_id="test")  # type: ignore[arg-type]
    component = UnknownWordsFallback.create({}, storage, resource, context)
    importer = RasaFileImporter(training_data_paths=[str(ROOT / "data")])
    component.train(importer.get_nlu_data())
    return component, storage, resource


def test_it_learns_the_training_words_and_loads_them_back(trained):
    component, storage, resource = trained
    loaded = UnknownWordsFallback.load({}, storage, resource, ExecutionContext(None, "test"))  # type: ignore[arg-type]
    assert loaded.vocabulary.known == component.vocabulary.known
    # examples of both languages, the lookup tables (subscription names) and the synonyms
    assert {"pay", "regler", "carte", "business", "basic", "exchange"} <= loaded.vocabulary.known
    assert predicted(loaded, "qwerty uiop") == ("nlu_fallback", ["nlu_fallback"])
    assert predicted(loaded, "xkcd lorem zzz") == ("nlu_fallback", ["nlu_fallback"])
    assert predicted(loaded, "cancel please") == ("cancel", ["cancel"])


def test_every_training_example_is_made_of_taught_words(trained):
    # The component can never override the model on a sentence it was trained on, in either language.
    component = trained[0]
    importer = RasaFileImporter(training_data_paths=[str(ROOT / "data")])
    examples = [m.get("text") for m in importer.get_nlu_data().intent_examples]
    assert len(examples) > 1000
    assert not [text for text in examples if component.vocabulary.knows_none_of(text)]
    assert taught_words(importer.get_nlu_data()) == component.vocabulary.known


def test_the_pipeline_runs_it_after_the_fallback_classifier():
    pipeline = [c["name"] for c in yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]]
    unknown = pipeline.index("components.unknown_words.UnknownWordsFallback")
    language = pipeline.index("components.language.LanguageDetector")
    assert pipeline.index("FallbackClassifier") < unknown < language
