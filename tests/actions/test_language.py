"""The assistant answers in the user's language: detection, explicit switches, widget locale."""

from __future__ import annotations

import pytest

from actions.language import ActionDetectLanguage, ActionSessionStart, detect_language
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
    ("intent", "text", "current", "expected"),
    [
        ("switch_to_english", "anglais svp", "fr", "en"),
        ("switch_to_french", "french please", "en", "fr"),
        ("settle_balance", "je veux payer mon solde", "en", "fr"),
        ("inform", "12/27", "fr", None),
    ],
)
async def test_language_slot_follows_the_user(domain, intent, text, current, expected):
    trk = tracker(None, {"language": current}, text=text, intent=intent)
    _, events = await run(ActionDetectLanguage(), trk, domain)
    assert slots(events).get("language") == expected


@pytest.mark.parametrize(("locale", "expected"), [("fr-FR", "fr"), ("en-US", "en"), ("fr", "fr")])
async def test_a_session_starts_in_the_widgets_locale(domain, locale, expected):
    trk = tracker(None, {"session_started_metadata": {"locale": locale}, "language": None})
    _, events = await run(ActionSessionStart(), trk, domain)
    assert events[0]["event"] == "session_started"
    assert slots(events)["language"] == expected
    assert events[-1]["name"] == "action_listen"
