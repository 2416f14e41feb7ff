"""A message made only of words the assistant was never taught is not understood, whatever DIET says.

DIET always ranks the intents, and for "qwerty uiop" or "xkcd lorem zzz" its confidence depends on the
training seed: one model falls back, another reads "cancel" and drops the procedure. This component
makes that case deterministic: it learns the vocabulary of the training data (examples, lookup tables,
synonyms) and, when no word of a message is in it, nor one letter away from a word of four letters or
more (a typo: "exchnage", "paiment"), nor a taught word with letters held down ("okk", "noooo"), it
predicts `nlu_fallback` with nothing else ranked, so the fallback says "I did not understand" instead
of offering two random guesses. A number, a masked card digit or a "/intent" payload is data, never
unknown.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from reading.words import words

FALLBACK = "nlu_fallback"
VOCABULARY_FILE = "vocabulary.json"
TYPO_MIN_LENGTH = 4


def held_letters_dropped(word: str) -> str:
    """Each run of one letter as one letter: "noooo" → "no", "okk" → "ok", "bill" → "bil"."""
    return "".join(letter for i, letter in enumerate(word) if i == 0 or letter != word[i - 1])


def deletions(word: str) -> set[str]:
    """The word with one letter left out, each way (the index behind one-letter-away matches)."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class Vocabulary:
    """The words taught, with a one-deletion index: two words are one edit apart (a letter added, left
    out, replaced or two swapped) when one is in the other's deletions or they share one. Letters held
    down are compared once."""

    def __init__(self, known: Iterable[str]) -> None:
        self.known = frozenset(known)
        self.held = {held_letters_dropped(word) for word in self.known}
        self.near: set[str] = set()
        for word in self.known:
            if len(word) >= TYPO_MIN_LENGTH - 1:
                self.near.add(word)
                self.near.update(deletions(word))

    def knows(self, word: str) -> bool:
        if word in self.known or word.isdigit() or held_letters_dropped(word) in self.held:
            return True
        if len(word) < TYPO_MIN_LENGTH:
            return False
        return word in self.near or any(deleted in self.near for deleted in deletions(word))

    def knows_none_of(self, text: str) -> bool:
        """Words in the text, and none of them known (nor a number, a masked digit or a payload)."""
        stripped = text.strip()
        if stripped.startswith("/") or "•" in stripped:
            return False
        found = words(stripped)
        return bool(found) and not any(self.knows(word) for word in found)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class UnknownWordsFallback(GraphComponent):
    def __init__(self, model_storage: ModelStorage, resource: Resource, vocabulary: Vocabulary) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self.vocabulary = vocabulary

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UnknownWordsFallback:
        return cls(model_storage, resource, Vocabulary(()))

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> UnknownWordsFallback:
        with model_storage.read_from(resource) as directory:
            known = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
        return cls(model_storage, resource, Vocabulary(known))

    def train(self, training_data: TrainingData) -> Resource:
        self.vocabulary = Vocabulary(taught_words(training_data))
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(
                json.dumps(sorted(self.vocabulary.known), ensure_ascii=False), encoding="utf-8"
            )
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if self.vocabulary.known and self.vocabulary.knows_none_of(message.get(TEXT) or ""):
                fallback = {INTENT_NAME_KEY: FALLBACK, PREDICTED_CONFIDENCE_KEY: 1.0}
                message.set(INTENT, fallback, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [dict(fallback)], add_to_output=True)
        return messages


def taught_words(training_data: TrainingData) -> set[str]:
    """Every word of the examples, the lookup tables and the synonyms."""
    taught: set[str] = set()
    for example in training_data.intent_examples:
        taught.update(words(example.get(TEXT) or ""))
    for table in training_data.lookup_tables:
        for element in table.get("elements") or []:
            taught.update(words(str(element)))
    for synonym, value in training_data.entity_synonyms.items():
        taught.update(words(f"{synonym} {value}"))
    return taught
