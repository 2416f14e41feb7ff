"""The language of a message, and the language a switch request asks for.

`detect_language` reads the Rasa process's `LanguageDetector` (components/language.py) on every message;
the tests read the bot's answers with it. Why word lists and not a language-identification library:
docs/decisions.md ("Language detection in the Rasa process").
"""

from __future__ import annotations

import re

from reading.words import plain

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

