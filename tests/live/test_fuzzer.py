"""Conversation fuzzer: seeded random walks over the settle procedure, against the live stack.

Each walk mixes what people do: tap a button, type the answer asked for, give several answers at
once, correct an earlier answer, ask something in the middle, type nonsense, switch language, cancel.
On every turn it checks the invariants:
- a way forward: the turn ends with a question, an instruction or buttons;
- the reply is in the user's language;
- no raw card data in a reply;
and at the end of the walk: billing took at most one charge per confirmation the user gave, and none
without one. `FUZZ_CONVERSATIONS` sets the number of walks (500 by default, as in `make test`: about
1 s a walk here), `FUZZ_SEED` the seed. Walks of users who share
no billing state run side by side.
"""

from __future__ import annotations

import os
import random
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from reading.language import detect_language
from tests.support.stack import mint_token

CONVERSATIONS = int(os.environ.get("FUZZ_CONVERSATIONS", "500"))
SEED = int(os.environ.get("FUZZ_SEED", "20261202"))
TURNS = 7
USERS = ["alice@contoso.com", "bob@contoso.com", "dave@fabrikam.com", "carol@contoso.com"]
SUBSCRIPTIONS = {
    "alice@contoso.com": ["sub_contoso_business_standard", "sub_contoso_exchange_plan1"],
    "bob@contoso.com": ["sub_contoso_business_standard", "sub_contoso_exchange_plan1"],
    "dave@fabrikam.com": ["sub_fabrikam_business_basic"],
    "carol@contoso.com": [],
}
TEST_NUMBERS = ["4242 4242 4242 4242", "5555 5555 5555 4444", "4000 0000 0000 0002", "4000 0000 0000 9995"]
# A card number stands alone: digits glued to a word or a dash are a reference (RCPT-20261202-4731185B).
RAW_NUMBER = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
# How a turn may end and still leave the user a way forward, besides buttons.
FORWARD = re.compile(
    r"\?|please (type|give|enter)|saisissez|indiquez|tapez|touchez|tap |pick|choisissez|try again|"
    r"réessayez|say \"|dites|ask|demandez|sign in|reconnectez|wait|patientez|just ask|redemandez|"
    r"tell me|dites-moi|you can|vous pouvez|come back|revenez|let's carry on|continuons",
    re.IGNORECASE,
)

SAY = {
    "en": {
        "start": ["I need to pay my balance", "which of our subscriptions are past due?", "hi",
                  "please retry my card", "I want to change the expiry date", "pay with another card",
                  "add a new card", "set the expiry of my card to 03/2030"],
        "interject": ["why is it late?", "how much is it?", "are you a bot?", "can you say that again?",
                      "thanks", "what's the weather?"],
        "date": ["12/28", "03/2030", "december 2029"],
        "correct": ["oops, the year is 2031", "actually 11/29"],
        "cvc": ["123", "cvc 321"],
        "holder": ["Bob Durand", "name is Marie Dupont"],
        "invalid": ["13/27", "02/2020", "abc", "😀", "12", "4242 4242 4242 4241"],
        "switch": ["switch to French"],
        "cancel": ["cancel", "never mind"],
        "yes": ["yes", "yes please"],
        "no": ["no"],
    },
    "fr": {
        "start": ["je veux régler mon solde", "quels abonnements sont en retard ?", "bonjour",
                  "réessayez ma carte", "je veux modifier la date d'expiration", "payer avec une autre carte",
                  "ajouter une nouvelle carte"],
        "interject": ["pourquoi est-ce en retard ?", "c'est combien ?", "tu es un robot ?",
                      "tu peux répéter ?", "merci"],
        "date": ["12/28", "décembre 2029"],
        "correct": ["non, l'année c'est 2031"],
        "cvc": ["123"],
        "holder": ["Marie Dupont"],
        "invalid": ["13/27", "02/2020", "n'importe quoi", "😀"],
        "switch": ["parle anglais"],
        "cancel": ["annuler", "laisse tomber"],
        "yes": ["oui", "oui, payer"],
        "no": ["non"],
    },
}


@dataclass
class Walk:
    seed: int
    user: str
    language: str
    transcript: list[str] = field(default_factory=list)
    confirmations: int = 0
    violations: list[str] = field(default_factory=list)


def way_forward(replies: list[dict[str, Any]]) -> bool:
    if any(reply.get("buttons") for reply in replies):
        return True
    return bool(replies) and bool(FORWARD.search(replies[-1].get("text", "")))


def choose(rng: random.Random, walk: Walk, last: list[dict[str, Any]]) -> str:
    words = SAY[walk.language]
    text = " ".join(r.get("text", "") for r in last).lower()
    buttons = [b for r in last for b in r.get("buttons", [])]
    asked = (
        "date" if ("expiration" in text and "?" in text) or "date d'expiration" in text
        else "cvc" if "security code" in text or "code de sécurité" in text
        else "number" if "card number" in text or "numéro de la carte" in text
        else "holder" if "cardholder" in text or "titulaire" in text
        else "confirm" if text.strip().startswith(("pay ", "payer ")) or "\npay " in text or "payer " in text
        else None
    )
    roll = rng.random()
    if roll < 0.08:
        return rng.choice(words["interject"])
    if roll < 0.12:
        return rng.choice(words["invalid"])
    if roll < 0.15:
        return rng.choice(words["switch"])
    if roll < 0.18:
        return rng.choice(words["cancel"])
    if roll < 0.22 and asked in ("cvc", "holder"):
        return rng.choice(words["correct"])
    if asked == "date":
        return rng.choice(words["date"])
    if asked == "cvc":
        return rng.choice(words["cvc"])
    if asked == "number":
        return rng.choice(TEST_NUMBERS)
    if asked == "holder":
        return rng.choice(words["holder"])
    if asked == "confirm" and roll < 0.85:
        return rng.choice(words["yes"] if roll < 0.7 else words["no"])
    if buttons and roll < 0.9:
        button = rng.choice(buttons)
        return str(button["payload"])
    return rng.choice(words["start"])


def check_turn(walk: Walk, said: str, replies: list[dict[str, Any]]) -> None:
    where = f"seed {walk.seed} turn {len(walk.transcript)} ({said!r})"
    if not way_forward(replies):
        walk.violations.append(f"{where}: no way forward: {[r.get('text') for r in replies]}")
    for reply in replies:
        text = reply.get("text", "")
        if len(text.split()) >= 3 and detect_language(text) not in (walk.language, None):
            walk.violations.append(f"{where}: not in {walk.language}: {text[:120]}")
        if RAW_NUMBER.search(text):
            walk.violations.append(f"{where}: raw card number in a reply: {text[:120]}")


def play(stack: dict[str, Any], token: str, walk: Walk, rng: random.Random) -> None:
    sender = f"fuzz-{uuid.uuid4().hex[:12]}"
    last: list[dict[str, Any]] = []
    asked_to_confirm = False
    for _ in range(TURNS):
        said = choose(rng, walk, last) if last else rng.choice(SAY[walk.language]["start"])
        if said in SAY["en"]["switch"]:
            walk.language = "fr"
        elif said in SAY["fr"]["switch"]:
            walk.language = "en"
        elif not said.startswith("/"):
            walk.language = detect_language(said) or walk.language
        if asked_to_confirm and (said in SAY["en"]["yes"] + SAY["fr"]["yes"] or said == "/affirm"):
            walk.confirmations += 1
        response = httpx.post(
            stack["rasa"].url + "/webhooks/rest/webhook",
            json={"sender": sender, "message": said, "metadata": {"token": token}},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        last = list(response.json())
        walk.transcript.append(f"> {said}\n" + "\n".join(f"  {r.get('text', '')}" for r in last))
        check_turn(walk, said, last)
        asked_to_confirm = any(
            b.get("payload") == "/affirm" and r.get("text", "").lower().startswith(("pay ", "payer "))
            for r in last
            for b in r.get("buttons", [])
        )
        texts = " ".join(r.get("text", "") for r in last)
        if "support agent to join" in texts or "conseiller de vous rejoindre" in texts:
            break  # handed to a person: the assistant is paused


def charges(stack: dict[str, Any], token: str, user: str) -> int:
    total = 0
    for sub in SUBSCRIPTIONS[user]:
        listed = httpx.get(
            f"{stack['billing'].url}/v1/subscriptions/{sub}/charges",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ).json()
        total += sum(1 for c in listed if isinstance(c, dict) and c.get("outcome") == "succeeded")
    return total


@pytest.fixture(scope="module")
def tokens_for_fuzz(stack: dict[str, Any]) -> dict[str, str]:
    return {user: mint_token(stack["database_url"], user) for user in USERS}


# Walks whose users share no billing state run side by side: Contoso's billing admins (Alice, Bob)
# pay the same subscriptions, Dave is Fabrikam's, Carol has no billing role and changes nothing.
SHARES_BILLING = {
    "alice@contoso.com": "contoso",
    "bob@contoso.com": "contoso",
    "dave@fabrikam.com": "fabrikam",
    "carol@contoso.com": "no role",
}


def planned_walks(count: int, seed: int) -> list[Walk]:
    rng = random.Random(seed)
    walks = []
    for index in range(count):
        user = rng.choice(USERS)
        walks.append(Walk(seed=seed + index, user=user, language=rng.choice(["en", "fr"])))
    return walks


def batches(walks: list[Walk]) -> list[list[Walk]]:
    """Consecutive walks, grouped so that no two in a group touch the same billing state."""
    groups: list[list[Walk]] = []
    for walk in walks:
        if groups and all(SHARES_BILLING[w.user] != SHARES_BILLING[walk.user] for w in groups[-1]):
            groups[-1].append(walk)
        else:
            groups.append([walk])
    return groups


def test_walks_in_one_batch_never_share_billing_state() -> None:
    for group in batches(planned_walks(200, SEED)):
        tenants = [SHARES_BILLING[w.user] for w in group]
        assert len(tenants) == len(set(tenants))


def run_walk(stack: dict[str, Any], tokens: dict[str, str], walk: Walk) -> Walk:
    token = tokens[walk.user]
    before = charges(stack, token, walk.user)
    play(stack, token, walk, random.Random(walk.seed))
    taken = charges(stack, token, walk.user) - before
    if taken > walk.confirmations:
        walk.violations.append(f"seed {walk.seed}: {taken} charges, {walk.confirmations} confirmations")
    return walk


def test_seeded_random_conversations_keep_every_invariant(stack, demo_reset, tokens_for_fuzz, capsys) -> None:
    violations: list[str] = []
    walks = 0
    with ThreadPoolExecutor(max_workers=len(set(SHARES_BILLING.values()))) as pool:
        for group in batches(planned_walks(CONVERSATIONS, SEED)):
            demo_reset()  # every walk starts from the demo data
            for walk in pool.map(lambda w: run_walk(stack, tokens_for_fuzz, w), group):
                if walk.violations:
                    violations += walk.violations
                    violations.append("\n".join(walk.transcript))
                walks += 1
    found = sum(1 for v in violations if v.startswith("seed"))
    with capsys.disabled():  # in make test's output, passed or not
        print(f"\nfuzzer: {walks} seeded conversations (seed {SEED}), {found} invariant violations")
    assert not violations, "\n".join(violations[:40])
