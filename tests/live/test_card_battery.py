"""Card battery: test card numbers written 45 ways, in both languages, inside and outside the add-card
flow, split over two messages, over REST and socket.io and through the console's reply box. Then every
store of the stack is scanned: the tracker store, every process log, the billing and web databases and
the console and history APIs hold 0 raw numbers (printed per store). The last test scans the whole
session's files for user tokens too: 0 anywhere."""

from __future__ import annotations

import asyncio
import json
import re
import time
import unicodedata
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live.test_conversations import CHOOSE_EXCHANGE
from tests.live.test_handoff_live import Console
from tests.support.dates import yy
from tests.support.socket_client import SocketClient

VISA, MC, AMEX, DISCOVER, DEBIT = (
    "4242424242424242",
    "5555555555554444",
    "378282246310005",
    "6011111111111117",
    "4000056655665556",
)
TYPO = "4242424242424241"  # fails the check digit: still never stored
FORMS: list[tuple[str, str, str]] = [
    ("plain", "4242424242424242", VISA),
    ("spaces", "4242 4242 4242 4242", VISA),
    ("hyphens", "4242-4242-4242-4242", VISA),
    ("dots", "4242.4242.4242.4242", VISA),
    ("double spaces", "4242  4242  4242  4242", VISA),
    ("no-break spaces", "4242\u00a04242\u00a04242\u00a04242", VISA),
    ("narrow no-break spaces", "4242\u202f4242\u202f4242\u202f4242", VISA),
    ("thin spaces", "4242\u20094242\u20094242\u20094242", VISA),
    ("slashes", "4242/4242/4242/4242", VISA),
    ("underscores", "4242_4242_4242_4242", VISA),
    ("newlines", "4242\n4242\n4242\n4242", VISA),
    ("CRLF", "4242\r\n4242\r\n4242\r\n4242", VISA),
    ("tabs", "4242\t4242\t4242\t4242", VISA),
    ("spaced hyphens", "4242 - 4242 - 4242 - 4242", VISA),
    ("en dashes", "4242–4242–4242–4242", VISA),
    ("commas", "4242,4242,4242,4242", VISA),
    ("zero-width spaces", "4242\u200b4242\u200b4242\u200b4242", VISA),
    ("zero-width joiners", "4242\u200d4242\u200c4242\u2060424\u200b2", VISA),
    ("right-to-left override", "4242\u202e4242\u202c4242 4242", VISA),
    ("byte order marks", "4242\ufeff4242\ufeff4242\ufeff4242", VISA),
    ("fullwidth digits", "４２４２４２４２４２４２４２４２", VISA),
    ("Arabic-Indic digits", "٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢", VISA),
    ("one digit at a time", "4 2 4 2 4 2 4 2 4 2 4 2 4 2 4 2", VISA),
    ("in parentheses", "(4242) 4242 4242 4242", VISA),
    ("English sentence", "my card is 4242 4242 4242 4242", VISA),
    ("French sentence", "ma carte est la 4242 4242 4242 4242, merci", VISA),
    ("French with colon", "numéro\u202f: 4242.4242.4242.4242", VISA),
    ("glued to a word", "card:4242424242424242", VISA),
    ("after n°", "n°4242424242424242", VISA),
    # A valid expiry on the tests' date (12/28 in December 2026), so that the form goes on.
    ("with expiry and code", f"4242 4242 4242 4242 exp 12/{yy(2)} cvc 123", VISA),
    ("French with expiry", f"c'est la 4242-4242-4242-4242 qui expire le 12/{yy(2)}", VISA),
    ("twice in one message", "4242424242424242 ou bien 4242 4242 4242 4242", VISA),
    ("Mastercard", "5555 5555 5555 4444", MC),
    ("Mastercard hyphens", "5555-5555-5555-4444", MC),
    ("Amex 4-6-5", "3782 822463 10005", AMEX),
    ("Amex spaced hyphens", "3782 - 822463 - 10005", AMEX),
    ("Amex plain", "378282246310005", AMEX),
    ("Amex odd grouping", "37828224631 0005", AMEX),
    ("Discover", "6011 1111 1111 1117", DISCOVER),
    ("Visa debit", "4000 0566 5566 5556", DEBIT),
    ("Visa debit dots", "4000.0566.5566.5556", DEBIT),
    ("check digit wrong", "4242 4242 4242 4241", TYPO),
    ("check digit wrong, French", "voici 4242.4242.4242.4241", TYPO),
    ("mixed separators", "4242 4242-4242.4242", VISA),
    ("quoted", '"4242424242424242"', VISA),
]
SPLITS = [
    ("split in halves", ["4242 4242", "4242 4242"], VISA),
    ("split 12 + 4", ["4242 4242 4242", "4242"], VISA),
    ("split Amex 4-6 + 5", ["3782 822463", "10005"], AMEX),
]
# Forms whose words are French: the assistant answers them in French (the user switched).
IN_FRENCH = {"French sentence", "French with colon", "French with expiry", "twice in one message"}
TURN_SECONDS: list[float] = []  # the socket.io turns' durations, printed
NUMBERS = sorted({VISA, MC, AMEX, DISCOVER, DEBIT, TYPO})


def _pattern(digits: str) -> re.Pattern[str]:
    """The number with up to 3 non-alphanumeric characters between any two digits."""
    return re.compile(r"[^0-9A-Za-z]{0,3}".join(digits))


PATTERNS = [_pattern(n) for n in NUMBERS]
_CF = dict.fromkeys(i for i in range(0x110000) if unicodedata.category(chr(i)) == "Cf")


def raw_numbers(text: str) -> int:
    """How many test card numbers `text` holds, however written (JSON escapes decoded, Unicode digits
    folded, invisible characters removed)."""
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    text = re.sub(r"\\[nrtbf]", " ", text)
    text = unicodedata.normalize("NFKC", text).translate(_CF)
    text = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)
    return sum(len(p.findall(text)) for p in PATTERNS)


def test_the_scan_finds_every_form() -> None:
    """The scanner itself: every form of the battery counts as a raw number before masking."""
    for name, text, _ in FORMS:
        assert raw_numbers(text) >= 1, name
        assert raw_numbers(json.dumps({"text": text})) >= 1, name  # as Rasa stores it (ASCII JSON)
    assert raw_numbers("•••• 4242, €151.20, 12/2028, receipt RCPT-2026-0001") == 0


def _no_raw(replies: list[dict[str, Any]]) -> None:
    assert raw_numbers(json.dumps(replies)) == 0, replies
    assert replies, "no reply: the user is left without a way forward"


def test_rest_outside_the_flow(stack, talk) -> None:
    url = stack["rasa"].url + "/webhooks/rest/webhook"
    for user in ("alice@contoso.com", "dave@fabrikam.com"):
        convo = talk(user)
        for name, text, _ in FORMS:
            body = {"sender": convo.sender, "message": text, "metadata": {"token": convo.token}}
            response = httpx.post(url, json=body, timeout=60)
            assert response.status_code == 200, (name, response.text)
            replies = response.json()
            assert raw_numbers(json.dumps(replies)) == 0, (name, replies)
            # Two messages not understood bring in a person: then the agent reads them (no reply).
            assert replies or convo.tracker()["paused"], (name, "no reply: no way forward")


def _start_card_form(talk) -> Any:
    bob = talk("bob@contoso.com")
    bob.say("pay my balance")
    bob.say(CHOOSE_EXCHANGE)
    assert "card number" in bob.texts(bob.say("add a new card"))
    return bob


@pytest.mark.parametrize(("name", "text", "number"), FORMS, ids=[f[0] for f in FORMS])
def test_rest_inside_the_add_card_flow(talk, name: str, text: str, number: str) -> None:
    bob = _start_card_form(talk)
    bob.language = "fr" if name in IN_FRENCH else "en"
    replies = bob.say(text)
    _no_raw(replies)
    said = bob.texts(replies)
    if number == TYPO:
        assert "check the digits" in said or "vérifiez les chiffres" in said, said
    else:
        # Vaulted, not just hidden: the form goes on to the next detail it lacks (the expiry date,
        # unless the message gave it too, and the security code), naming the last four.
        french = name in IN_FRENCH
        nexts = ("date d'expiration", "code de sécurité") if french else ("expiration date", "security code")
        given = ("exp" in text) + ("cvc" in text)
        assert nexts[min(given, 1)] in said or (given == 2 and "cardholder" in said), said
        assert bob.tracker()["slots"]["new_card_label"].endswith(number[-4:])
    slots = json.dumps(bob.tracker()["slots"])
    assert raw_numbers(slots) == 0


@pytest.mark.parametrize(("name", "parts", "number"), SPLITS, ids=[s[0] for s in SPLITS])
def test_rest_a_number_split_over_two_messages(talk, name: str, parts: list[str], number: str) -> None:
    bob = _start_card_form(talk)
    first = bob.say(parts[0])
    _no_raw(first)
    assert "rest of the number" in bob.texts(first), bob.texts(first)
    second = bob.say(parts[1])
    _no_raw(second)
    assert "expiration date" in bob.texts(second), bob.texts(second)
    assert bob.tracker()["slots"]["new_card_label"].endswith(number[-4:])


async def _socket_conversations(
    url: str, token: str, conversations: list[list[str]], replies_expected: bool = True
) -> list[tuple[list[list[dict[str, Any]]], list[dict[str, Any]]]]:
    """One widget connection, a fresh session per conversation: for each, the replies of each turn
    and the masked echoes. Without `replies_expected` a turn ends with its echo (the conversation may
    be with an agent). One connection: a polling client takes up to a ping interval to disconnect."""
    client = SocketClient()
    turn: list[dict[str, Any]] = []
    echoes: list[dict[str, Any]] = []
    confirmed = asyncio.Event()
    client.on("session_confirm", lambda _: confirmed.set())
    client.on("bot_uttered", lambda m: turn.append(m))
    client.on("user_uttered", lambda m: echoes.append(m))
    await client.connect(url, transports=["polling"], auth={"token": token}, wait_timeout=10)
    results = []
    try:
        for messages in conversations:
            session_id = uuid.uuid4().hex
            confirmed.clear()
            await client.emit("session_request", {"session_id": session_id})
            await asyncio.wait_for(confirmed.wait(), 10)
            turns: list[list[dict[str, Any]]] = []
            echoes.clear()
            for message in messages:
                started = time.monotonic()
                turn.clear()
                echoed = len(echoes)
                metadata = {"locale": "en"}
                await client.emit(
                    "user_uttered", {"message": message, "session_id": session_id, "metadata": metadata}
                )
                for _ in range(80):
                    await asyncio.sleep(0.25)
                    if turn or (not replies_expected and len(echoes) > echoed):
                        await asyncio.sleep(0.5)
                        break
                turns.append([*turn])
                TURN_SECONDS.append(time.monotonic() - started)
            await asyncio.sleep(1)  # the last turn's replies
            turns[-1].extend(m for m in turn if m not in turns[-1])
            results.append((turns, [*echoes]))
    finally:
        await client.disconnect()
    return results


def test_socketio_outside_and_inside_the_flow(stack, talk) -> None:
    bob = talk("bob@contoso.com")
    url = stack["rasa"].url
    messages = ["hello", *[t for _, t, _ in FORMS]]
    [(outside, echoes)] = asyncio.run(_socket_conversations(url, bob.token, [messages], False))
    print(f"\nsocket.io outside the flow: {len(messages)} turns in {sum(TURN_SECONDS):.1f} s")
    assert raw_numbers(json.dumps(outside)) == 0 and raw_numbers(json.dumps(echoes)) == 0
    assert len(echoes) == len(messages)  # every message reached the channel and was echoed masked
    cases = [*FORMS[::9], FORMS[25], FORMS[-4], SPLITS[0]]
    start = ["pay my balance", CHOOSE_EXCHANGE, "add a new card"]
    conversations = [[*start, *(text if isinstance(text, list) else [text])] for _, text, _ in cases]
    TURN_SECONDS.clear()
    results = asyncio.run(_socket_conversations(url, bob.token, conversations))
    print(f"socket.io in the flow: {sum(map(len, conversations))} turns in {sum(TURN_SECONDS):.1f} s")
    for (name, _, number), (turns, echoes) in zip(cases, results, strict=True):
        assert raw_numbers(json.dumps(turns)) == 0 and raw_numbers(json.dumps(echoes)) == 0, name
        said = " ".join(m.get("text", "") for m in turns[-1])
        expected = (
            "check the digits" if number == TYPO
            else "date d'expiration" if name in IN_FRENCH
            else "expiration date"
        )
        assert expected in said, (name, said)


def test_the_console_reply_box_refuses_every_form(stack, talk) -> None:
    agent = Console(stack, "agent1@support.example")
    alice = talk("alice@contoso.com")
    alice.say("I want to talk to a person")
    handoff = agent.waiting_for(alice.sender)
    agent.call("POST", f"/handoffs/{handoff['id']}/claim").raise_for_status()
    refused = 0
    for name, text, _ in FORMS:
        answer = agent.call("POST", f"/handoffs/{handoff['id']}/messages", json={"text": f"ok {text}"})
        assert 400 <= answer.status_code < 500, (name, answer.text)
        assert raw_numbers(answer.text) == 0
        refused += 1
    print(f"\nconsole reply box: {refused} of {len(FORMS)} forms refused")
    events = alice.tracker()["events"]
    assert raw_numbers(json.dumps(events)) == 0


def test_zz_no_raw_number_and_no_token_anywhere(stack, talk, tmp_path_factory) -> None:
    """Runs after the battery: every store of the session's stacks, then the APIs that show them."""
    base = Path(tmp_path_factory.getbasetemp())
    counts: dict[str, int] = {}
    tokens: dict[str, int] = {}
    jwt = re.compile(rb"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
    for path in sorted(p for p in base.rglob("*") if p.is_file()):
        kind = (
            "tracker store" if path.name.startswith("tracker") and path.suffix == ".db"
            else "billing database" if path.name == "billing.db"
            else "web database" if path.name == "web.db"
            else "process logs" if path.suffix == ".log"
            else None
        )
        if kind is None:
            continue
        data = path.read_bytes()
        counts[kind] = counts.get(kind, 0) + raw_numbers(data.decode("utf-8", errors="replace"))
        tokens[kind] = tokens.get(kind, 0) + len(jwt.findall(data))
    agent = Console(stack, "agent1@support.example")
    queue = agent.call("GET", "/queue").json()
    console_text = json.dumps(queue)
    for handoff in [*queue.get("waiting", []), *queue.get("active", []), *queue.get("mine", [])]:
        console_text += agent.call("GET", f"/handoffs/{handoff['id']}").text
    counts["console API"] = raw_numbers(console_text)
    tokens["console API"] = len(jwt.findall(console_text.encode()))
    print("\nstore              | files scanned for | raw card numbers | user tokens")
    for kind in counts:
        print(f"{kind:<19}| {'':17} | {counts[kind]:16d} | {tokens.get(kind, 0):11d}")
    assert set(counts) >= {"tracker store", "billing database", "web database", "process logs"}
    assert all(count == 0 for count in counts.values()), counts
    assert all(count == 0 for count in tokens.values()), tokens
