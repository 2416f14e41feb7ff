"""Plays one case against a transport: sends the user's messages, checks every step, keeps the transcript."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from reading.language import detect_language
from tests.e2e.case_format import ANY_VALUE, BillingExpectations, Case, Step, plain_spaces
from tests.e2e.transport import Transport


class StepFailed(AssertionError):
    """The first step whose expectation the conversation did not meet."""

    def __init__(self, step: str, expected: str, got: str):
        super().__init__(f"{step}: expected {expected}; got {got}")
        self.step, self.expected, self.got = step, expected, got


@dataclass
class Reply:
    """One message of the REST channel, with the response it came from (when the tracker tells)."""

    text: str
    buttons: list[dict[str, Any]]
    utter_action: str | None = None
    event: int | None = None  # the bot event it came from: a text with blank lines makes several replies


@dataclass
class Turn:
    shown: str  # what the user typed, or `[title]` for a click
    sent: str
    replies: list[Reply] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)  # tracker events since this message


class Conversation:
    def __init__(self, case: Case, transport: Transport):
        self.case = case
        self.transport = transport
        self.sender = f"e2e-{case.name[:80]}-{uuid.uuid4().hex[:8]}"
        self.turns: list[Turn] = []
        # Where the checks of the last turn stand: the reply the previous bot/utter step matched (-1: none
        # yet) and what was checked on it. Steps keep the replies' order; one reply may have its text and
        # its response name checked (bot + utter), never the same check twice.
        self.matched = -1
        self.checked: set[str] = set()
        self.token = ""

    def play(self) -> None:
        """Raises StepFailed at the first mismatch (then the billing checks do not run)."""
        self.transport.reset_demo_data()
        self.token = self.transport.sign_in(self.case.user)
        for step in self.case.steps:
            getattr(self, f"_{step.kind}")(step)
        if self.case.billing:
            self._billing(self.case.billing)

    # ---- sending ------------------------------------------------------------------------------
    def _user(self, step: Step) -> None:
        self._send(step, step.value, step.value, {})

    def _button(self, step: Step) -> None:
        offered = [b for r in self.turns[-1].replies for b in r.buttons]
        chosen = next((b for b in offered if b.get("title") == step.value), None)
        if chosen is None:
            titles = " ".join(f"[{b.get('title')}]" for b in offered) or "no buttons at all"
            raise StepFailed(step.describe(), f"a button titled {step.value!r} in the last bot turn",
                             f"no such button; offered: {titles}")
        # As the widget sends a click: the payload, with the title it showed.
        self._send(step, f"[{step.value}]", str(chosen.get("payload", "")), {"shown_as": step.value})

    def _send(self, step: Step, shown: str, text: str, extra: dict[str, Any]) -> None:
        metadata = {"token": self.token, **extra}
        if self.case.locale:
            metadata["locale"] = self.case.locale  # the widget sends its page's locale with every message
        turn = Turn(shown, text)
        self.turns.append(turn)
        self.matched, self.checked = -1, set()
        turn.replies = [
            Reply(str(r.get("text") or ""), list(r.get("buttons") or []))
            for r in self.transport.send(self.sender, text, metadata)
        ]
        turn.events = _since_last_user_message(self.transport.tracker(self.sender).get("events") or [])
        _name_responses(turn)
        for reply in turn.replies:
            # A reply that reads as the other language fails; one with no word of either ("Updated:
            # Robert Durand.") does not.
            read_as = detect_language(reply.text) if len(reply.text.split()) >= 3 else None
            if read_as not in (None, self.case.language):
                raise StepFailed(step.describe(), f"every reply in {self.case.language!r}",
                                 f"{reply.text!r} (read as {detect_language(reply.text)!r})")

    # ---- checking the last turn ---------------------------------------------------------------
    def _bot(self, step: Step) -> None:
        self._match(step, lambda reply: step.value.matches(reply.text), f"a reply {step.value.describe()}")

    def _utter(self, step: Step) -> None:
        self._match(step, lambda reply: reply.utter_action == step.value, f"the response {step.value}")

    def _match(self, step: Step, fits: Callable[[Reply], bool], wanted: str) -> None:
        replies = self.turns[-1].replies
        start = max(self.matched, 0)
        if step.kind in self.checked:
            start = self.matched + 1
            if step.kind == "utter":  # past the other parts of that same response too
                while start < len(replies) and _same_event(replies[start], replies[self.matched]):
                    start += 1
        for index in range(start, len(replies)):
            if fits(replies[index]):
                if index != self.matched:
                    self.matched, self.checked = index, set()
                self.checked.add(step.kind)
                return
        raise StepFailed(step.describe(), wanted + self._after(step.kind), self._left())

    def _slot_was_set(self, step: Step) -> None:
        set_now = self._slots_set()
        for name, value in step.value:
            values = set_now.get(name, [])
            if not values or (value is not ANY_VALUE and not any(_same(value, v) for v in values)):
                wanted = name if value is ANY_VALUE else f"{name} = {value!r}"
                raise StepFailed(step.describe(), f"{wanted} set since the last user message",
                                 _slot_list(set_now))

    def _slot_was_not_set(self, step: Step) -> None:
        set_now = self._slots_set()
        for name, value in step.value:
            values = set_now.get(name, [])
            if values and (value is ANY_VALUE or any(_same(value, v) for v in values)):
                wanted = name if value is ANY_VALUE else f"{name} = {value!r}"
                raise StepFailed(step.describe(), f"{wanted} NOT set since the last user message",
                                 _slot_list(set_now))

    def _slots_set(self) -> dict[str, list[Any]]:
        slots: dict[str, list[Any]] = {}
        for event in self.turns[-1].events:
            if event.get("event") == "slot":
                slots.setdefault(str(event.get("name")), []).append(event.get("value"))
        return slots

    def _after(self, kind: str) -> str:
        if self.matched < 0:
            return " in this turn"
        at = "after" if kind in self.checked else "at or after"
        return f" {at} reply {self.matched + 1} of this turn (matched by the previous step)"

    def _left(self) -> str:
        replies = self.turns[-1].replies
        if not replies:
            return "no reply at all"
        lines = ["no such reply; this turn's replies:"]
        for number, reply in enumerate(replies, start=1):
            used = ""
            if number - 1 == self.matched:
                used = f"  (matched by the previous step: {' + '.join(sorted(self.checked))})"
            elif number - 1 < self.matched:
                used = "  (before the previous step's)"
            lines.append(f"  {number}. {_one_line(reply.text)!r}  <{reply.utter_action or '?'}>{used}")
        return "\n".join(lines)

    # ---- the backend after the conversation ----------------------------------------------------
    def _billing(self, expected: BillingExpectations) -> None:
        problems: list[str] = []
        for sub_id, fields in expected.subscriptions.items():
            status, body = self.transport.billing(self.token, f"/v1/subscriptions/{sub_id}")
            if status != 200:
                problems.append(f"subscription {sub_id}: billing answered HTTP {status}: {body}")
                continue
            problems.extend(f"subscription {sub_id}: {p}" for p in _differences(fields, body))
        for sub_id, count in expected.succeeded_charges.items():
            status, body = self.transport.billing(self.token, f"/v1/subscriptions/{sub_id}/charges")
            if status != 200 or not isinstance(body, list):
                problems.append(f"charges of {sub_id}: billing answered HTTP {status}: {body}")
                continue
            succeeded = sum(1 for charge in body if charge.get("outcome") == "succeeded")
            if succeeded != count:
                outcomes = [charge.get("outcome") for charge in body]
                problems.append(f"charges of {sub_id}: {succeeded} succeeded, expected {count} "
                                f"(all outcomes: {outcomes})")
        if problems:
            wanted = f"subscriptions {expected.subscriptions}, succeeded charges {expected.succeeded_charges}"
            raise StepFailed("billing (after the conversation)", wanted, "\n".join(problems))


def _same_event(reply: Reply, other: Reply) -> bool:
    return reply.event is not None and reply.event == other.event


def _since_last_user_message(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    last = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    return events[last + 1 :]


def _name_responses(turn: Turn) -> None:
    """Which bot event each reply came from: the REST channel cuts a text at blank lines, so a reply is
    a part of the next bot event whose text holds it; a reply of no event (a channel's apology) gets none."""
    bots = [e for e in turn.events if e.get("event") == "bot"]
    at = 0
    for reply in turn.replies:
        for index in range(at, len(bots)):
            if reply.text and reply.text.strip() in str(bots[index].get("text") or ""):
                reply.event, at = index, index
                reply.utter_action = (bots[index].get("metadata") or {}).get("utter_action")
                break


def _differences(expected: dict[str, Any], actual: Any, prefix: str = "") -> list[str]:
    """The fields of `expected` that `actual` does not have; an amount stands for its money object."""
    problems: list[str] = []
    for key, want in expected.items():
        path = f"{prefix}{key}"
        if not isinstance(actual, dict) or key not in actual:
            problems.append(f"{path} is missing, expected {want!r}")
            continue
        got = actual[key]
        if isinstance(want, dict):
            problems.extend(_differences(want, got, path + "."))
        elif isinstance(got, dict) and "amount" in got:
            if not _same(want, got["amount"]):
                problems.append(f"{path} is {got['amount']!r} {got.get('currency', '')}, expected {want!r}")
        elif not _same(want, got):
            problems.append(f"{path} is {got!r}, expected {want!r}")
    return problems


def _same(want: Any, got: Any) -> bool:
    """YAML writes 0.00 as a float and 12 as an int; the API sends "0.00" and 12."""
    if want == got:
        return True
    if isinstance(want, str) and isinstance(got, str):
        return plain_spaces(want) == plain_spaces(got)
    if isinstance(want, bool) or isinstance(got, bool) or want is None or got is None:
        return False
    try:
        return Decimal(str(want)) == Decimal(str(got))
    except InvalidOperation:
        return False


def _slot_list(slots: dict[str, list[Any]]) -> str:
    if not slots:
        return "no slot set since the last user message"
    return "slots set since the last user message: " + ", ".join(
        f"{name} = {value!r}" for name, values in slots.items() for value in values
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())
