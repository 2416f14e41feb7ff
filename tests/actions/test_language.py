"""The assistant answers in the user's language: detection, explicit switches, widget locale."""

from __future__ import annotations

import pytest

from actions.language import ActionSessionStart, ActionSwitchLanguage
from reading.language import detect_language, wanted_language
from tests.support.trackers import run, slots, tracker


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("je veux régler mon solde", "fr"),
        ("je veux regler mon solde svp", "fr"),
        ("pourquoi c'est en retard ?", "fr"),
        ("combien je dois", "fr"),
        ("I want to pay my balance", "en"),
        ("how much do I owe?", "en"),
        ("why is it past due", "en"),
        ("use the Mastercard instead", "en"),
        ("non, plutôt la Mastercard", "fr"),
        ("12/27", None),
        ("ok", None),
        ("/affirm", None),
        ("", None),
        ("😀😀", None),
    ],
)
def test_detect_language(text, expected):
    assert detect_language(text) == expected


@pytest.mark.parametrize(
    ("text", "current", "expected"),
    [
        ("anglais svp", "fr", "en"),
        ("french please", "en", "fr"),
        ("can you speak my language?", "en", "fr"),
        ("in English please", "en", None),  # already English: nothing to set
    ],
)
async def test_a_switch_request_sets_the_language_it_asks_for(domain, text, current, expected):
    trk = tracker(None, {"language": current}, text=text, intent="switch_language")
    _, events = await run(ActionSwitchLanguage(), trk, domain)
    assert slots(events).get("language") == expected


@pytest.mark.parametrize(
    ("text", "current", "expected"),
    [
        ("in English please", "fr", "en"),
        ("switch to french", "en", "fr"),
        ("en français svp", "en", "fr"),
        ("fr svp", "en", "fr"),
        ("anglais", "fr", "en"),
        ("englsh", "fr", "en"),
        # a refused or hard language asks for the other one
        ("i don't speak french", "fr", "en"),
        ("not english, french please", "en", "fr"),
        ("my english isn't great, french please", "en", "fr"),
        ("je ne comprends pas bien le français", "fr", "en"),
        ("je comprends rien en anglais", "en", "fr"),
        ("pas en anglais, en français svp", "en", "fr"),
        # the preposition "en" is not English
        ("on continue en français", "en", "fr"),
        # no language named: the other one
        ("another language please", "en", "fr"),
        ("une autre langue", "fr", "en"),
    ],
)
def test_the_language_a_switch_asks_for(text, current, expected):
    assert wanted_language(text, current) == expected


@pytest.mark.parametrize(("locale", "expected"), [("fr-FR", "fr"), ("en-US", "en"), ("fr", "fr")])
async def test_a_session_starts_in_the_widgets_locale(domain, locale, expected):
    trk = tracker(None, {"session_started_metadata": {"locale": locale}, "language": None})
    _, events = await run(ActionSessionStart(), trk, domain)
    assert events[0]["event"] == "session_started"
    assert slots(events)["language"] == expected
    assert events[-1]["name"] == "action_listen"


def test_every_switch_example_of_the_training_data_reads_its_language():
    """The training examples were labelled with the language they ask for before the two intents
    became one; the reader must agree with every label, whatever the current language."""
    import yaml

    from tests.support.stack import ROOT

    nlu = yaml.safe_load((ROOT / "data" / "nlu" / "conversation.yml").read_text(encoding="utf-8"))
    labelled = [
        (line[2:], block["metadata"]["target"])
        for block in nlu["nlu"]
        if block.get("intent") == "switch_language"
        for line in block["examples"].splitlines()
        if line.startswith("- ")
    ]
    assert len(labelled) > 150
    wrong = [
        (text, want) for text, want in labelled for now in ("en", "fr") if wanted_language(text, now) != want
    ]
    assert not wrong
