"""The user's language: from what they write, the widget's locale, or an explicit switch."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

FRENCH = set(
    """
je j tu il elle nous vous mon ma mes ton ta votre vos notre le la les un une des du de au aux est
suis sont pas ne oui non merci bonjour bonsoir salut svp stp pourquoi combien comment quoi quel
quelle avec pour sur dans carte cartes payer paye payez regler solde abonnement abonnements facture
veux voudrais peux pouvez faut nouvelle autre encore aide parler quelqu conseiller humain
annuler annule laisse tomber plutot celle celui ca cest daccord francais anglais expire
retard impaye doit dois rien bien tres aussi mais alors ajouter modifier changer reessayer chiffres
""".split()
)
ENGLISH = set(
    """
i my mine you your the an is are am not yes no thanks thank hello hi hey please why how much
what which with for in to card cards pay paid settle balance subscription subscriptions invoice
want would like can could need new other another again help talk speak person human agent cancel
stop never mind it its this that one english french expiry expired past due owe
retry add change update use instead actually make bye goodbye who are nothing
""".split()
)
_WORD = re.compile(r"[a-z]+")


def plain(text: str) -> str:
    """Lower case, without accents: what the readers of typed text compare."""
    folded = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in folded if not unicodedata.combining(c))


def detect_language(text: str) -> str | None:
    """'fr' or 'en' when the text clearly leans one way, else None (keep the current language)."""
    if not text or text.startswith("/"):
        return None
    words = _WORD.findall(plain(text).replace("'", " "))
    french = sum(w in FRENCH for w in words) + 2 * len(re.findall(r"[éèêàçùûôî]", text.lower()))
    english = sum(w in ENGLISH for w in words)
    if french > english:
        return "fr"
    if english > french:
        return "en"
    return None


# Which language a "switch language" request names. The NLU only says that the message asks for
# another language (one intent, `switch_language`); the target is read here, deterministically.
_NAMES = {
    "en": re.compile(r"^(english|englsh|inglish|eng|anglais|anglai|angalis|anglaise|inglés|ingles|en)$"),
    "fr": re.compile(
        r"^(french|frnech|frensh|francais|franca|francaise|fr|francophone|quebecois|frances|francés)$"
    ),
}
# A named language that is refused or hard for the user: "not French", "I don't speak English well",
# "je ne comprends pas bien le français", "my english isn't great".
_REFUSED_BEFORE = re.compile(
    r"\b(not|no|don ?t|dont|can ?t|cant|cannot|pas|ne|rien|sans|plus)\b[^,.;!?]*$"
)
_REFUSED_AFTER = re.compile(r"^\W*(isn ?t|is not|n ?est pas|is bad|is poor|pas)\b")


def wanted_language(text: str, current: str | None) -> str:
    """The language a switch request asks for: the last language it names and does not refuse; else
    the other one than a refused one; else the other one than the current language."""
    folded = plain(text).replace("'", " ").replace("’", " ")
    words = list(re.finditer(r"[a-z]+", folded))
    wanted: str | None = None
    refused: str | None = None
    for index, match in enumerate(words):
        word = match.group()
        if word == "en" and index + 1 < len(words):
            continue  # the French preposition ("en anglais"), not the code
        for code, names in _NAMES.items():
            if not names.match(word):
                continue
            before = folded[max(0, match.start() - 40) : match.start()]
            after = folded[match.end() : match.end() + 20]
            if _REFUSED_BEFORE.search(before) or _REFUSED_AFTER.search(after):
                refused = code
            else:
                wanted = code
    if wanted:
        return wanted
    if refused:
        return "fr" if refused == "en" else "en"
    return "en" if current == "fr" else "fr"


def language_of(tracker: Tracker) -> str:
    return str(tracker.get_slot("language") or "en")


class ActionDetectLanguage(Action):
    """Custom slot mapping of `language`, run by Rasa on every user message."""

    def name(self) -> str:
        return "action_detect_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        events: list[EventType] = []
        if intent not in ("nlu_fallback", "inform") and tracker.get_slot("fallback_streak"):
            # Understood (a bare answer may still be out of context): the streak is broken.
            events.append(SlotSet("fallback_streak", False))
        wanted: str | None
        if intent == "switch_language":
            wanted = wanted_language(tracker.latest_message.get("text") or "", tracker.get_slot("language"))
        else:
            wanted = detect_language(tracker.latest_message.get("text") or "")
        if wanted and wanted != tracker.get_slot("language"):
            events.append(SlotSet("language", wanted))
        return events


class ActionSessionStart(Action):
    """Starts a session in the widget's locale and keeps the slots of the previous one."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        for name, value in tracker.current_slot_values().items():
            if value is not None and name != "session_started_metadata":
                events.append(SlotSet(name, value))
        metadata = tracker.get_slot("session_started_metadata") or {}
        locale = str(metadata.get("locale") or "")
        if locale:
            events.append(SlotSet("language", "fr" if locale.lower().startswith("fr") else "en"))
        if tracker.is_paused():
            # A new session must not hand the conversation back from the agent who holds it.
            events.append(ConversationPaused())
        events.append(ActionExecuted("action_listen"))
        return events
