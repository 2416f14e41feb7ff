"""`SpacyNLP` that loads only what the tokenizer and the word vectors need.

Rasa's SpacyNLP runs the whole fr_core_news_md pipeline (tok2vec, morphologizer, lemmatizer, NER) on
every message, about 6 ms of CPU a turn, for annotations no component of ours reads: SpacyTokenizer
needs the tokenizer, SpacyFeaturizer the static vectors. Lemmas fall back to the token text.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.model import InvalidModelError
from rasa.nlu.utils import spacy_utils
from rasa.nlu.utils.spacy_utils import SpacyModel

UNUSED_PIPES = ["tok2vec", "morphologizer", "parser", "attribute_ruler", "lemmatizer", "ner", "senter"]


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MODEL_LOADER, DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER],
    is_trainable=False,
    model_from="SpacyNLP",
)
class SpacyNLP(spacy_utils.SpacyNLP):
    # Same class name as Rasa's: the recipe wires the spaCy model by it (`provide_SpacyNLP`).

    @staticmethod
    def load_model(spacy_model_name: str) -> SpacyModel:
        import spacy

        try:
            language = spacy.load(spacy_model_name, exclude=UNUSED_PIPES)
        except OSError as error:  # not installed: say which package, as SpacyNLP does
            raise InvalidModelError(f"spaCy model {spacy_model_name!r} is not installed: {error}") from None
        return SpacyModel(model=language, model_name=spacy_model_name)
