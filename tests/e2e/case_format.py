"""Case files: YAML in the shape of Rasa Pro's end-to-end tests, read and checked before any stack starts.

    fixtures:
      - alice_signed_in: {user: alice@contoso.com}
      - french: {locale: fr}
    test_cases:
      - test_case: owner_pays_in_english
        fixtures: [alice_signed_in]
        steps:
          - user: "I need to pay my balance"
          - bot: "2 subscriptions have a past-due payment"
          - utter: utter_past_due_several
          - button: "Microsoft 365 Business Standard"
          - slot_was_set: {subscription_id: sub_contoso_business_standard}
        billing:
          subscriptions: {sub_contoso_business_standard: {state: active, outstanding: "0.00"}}
          succeeded_charges: {sub_contoso_business_standard: 1}
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SENDS = ("user", "button")  # steps that send a message and start a bot turn
CHECKS = ("bot", "utter", "slot_was_set", "slot_was_not_set")  # steps that check the last bot turn
STEP_KINDS = SENDS + CHECKS
FIXTURE_KEYS = ("user", "locale")
CASE_KEYS = ("test_case", "fixtures", "steps", "billing")
BILLING_KEYS = ("subscriptions", "succeeded_charges")
LOCALE = re.compile(r"^(fr|en)([-_][A-Za-z]{2})?$")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
ANY_VALUE: Any = object()  # a slot named without a value: any value will do


class CaseFileError(ValueError):
    """A case file that cannot be run, with where and why."""


@dataclass(frozen=True)
class TextMatch:
    """What a `bot:` step expects of a reply text: a substring or a /regex/ (re.search, `.` spans lines)."""

    source: str
    regex: re.Pattern[str] | None = None

    def matches(self, text: str) -> bool:
        if self.regex is not None:
            return self.regex.search(text) is not None
        return plain_spaces(self.source) in plain_spaces(text)

    def describe(self) -> str:
        return f"matching {self.source}" if self.regex is not None else f"containing {self.source!r}"


def plain_spaces(text: str) -> str:
    """French replies put no-break spaces before € and colons; a case writer types a plain space."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


@dataclass(frozen=True)
class Step:
    kind: str
    value: Any  # str (user, button, utter), TextMatch (bot), list[tuple[str, Any]] (slot steps)
    number: int  # 1-based, as a reader counts the steps of the case

    def describe(self) -> str:
        if self.kind == "bot":
            return f"- bot: {self.value.source!r}"
        if self.kind in ("slot_was_set", "slot_was_not_set"):
            slots = [name if value is ANY_VALUE else f"{name}: {value!r}" for name, value in self.value]
            return f"- {self.kind}: [{', '.join(slots)}]"
        return f"- {self.kind}: {self.value!r}"


@dataclass(frozen=True)
class BillingExpectations:
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    succeeded_charges: dict[str, int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.subscriptions or self.succeeded_charges)


@dataclass(frozen=True)
class Case:
    name: str
    file: Path
    user: str
    locale: str | None  # sent as the widget sends it; None: no locale sent, English expected
    steps: tuple[Step, ...]
    billing: BillingExpectations

    @property
    def language(self) -> str:
        """The language every reply must be in: the locale's, as action_session_start picks it."""
        return "fr" if (self.locale or "").lower().startswith("fr") else "en"


def load_cases(paths: list[Path]) -> list[Case]:
    """Every case of the files and directories (their *.yml, *.yaml), in order; names unique."""
    cases: list[Case] = []
    for path in paths:
        if path.is_dir():
            files = sorted([*path.glob("*.yml"), *path.glob("*.yaml")])
            if not files:
                raise CaseFileError(f"{path}: no *.yml case files in this directory")
        elif path.exists():
            files = [path]
        else:
            raise CaseFileError(f"{path}: no such file or directory")
        for file in files:
            cases.extend(load_file(file))
    seen: dict[str, Path] = {}
    for case in cases:
        if case.name in seen:
            raise CaseFileError(f"{case.file}: test case {case.name!r} is also defined in {seen[case.name]}")
        seen[case.name] = case.file
    return cases


def load_file(file: Path) -> list[Case]:
    try:
        document = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise CaseFileError(f"{file}: not valid YAML: {error}") from None
    return parse_document(document, file)


def parse_document(document: Any, file: Path) -> list[Case]:
    where = str(file)
    if not isinstance(document, dict):
        raise CaseFileError(f"{where}: expected a mapping with `test_cases:` (and optional `fixtures:`)")
    _only_keys(document, ("fixtures", "test_cases"), where, "top-level key")
    fixtures = _parse_fixtures(document.get("fixtures") or [], where)
    raw_cases = document.get("test_cases")
    if not isinstance(raw_cases, list) or not raw_cases:
        raise CaseFileError(f"{where}: `test_cases:` must be a non-empty list")
    return [_parse_case(raw, index, fixtures, file) for index, raw in enumerate(raw_cases, start=1)]


def _parse_fixtures(raw: Any, where: str) -> dict[str, dict[str, str]]:
    if not isinstance(raw, list):
        raise CaseFileError(f"{where}: `fixtures:` must be a list of `- name: {{user: ..., locale: ...}}`")
    fixtures: dict[str, dict[str, str]] = {}
    for item in raw:
        if not (isinstance(item, dict) and len(item) == 1):
            raise CaseFileError(
                f"{where}: each fixture is one `- name: {{user: ..., locale: ...}}`, got {item!r}"
            )
        ((name, settings),) = item.items()
        at = f"{where}: fixture {name!r}"
        if not isinstance(settings, dict) or not settings:
            raise CaseFileError(f"{at}: expected a mapping of {', '.join(FIXTURE_KEYS)}")
        _only_keys(settings, FIXTURE_KEYS, at, "setting")
        for key, value in settings.items():
            if not isinstance(value, str) or not value:
                raise CaseFileError(f"{at}: `{key}` must be a non-empty string")
        if "locale" in settings and not LOCALE.match(settings["locale"]):
            raise CaseFileError(f"{at}: locale {settings['locale']!r} is not fr or en (fr-FR, en-GB also do)")
        if name in fixtures:
            raise CaseFileError(f"{at}: defined twice")
        fixtures[str(name)] = dict(settings)
    return fixtures


def _parse_case(raw: Any, index: int, fixtures: dict[str, dict[str, str]], file: Path) -> Case:
    if not isinstance(raw, dict) or "test_case" not in raw:
        raise CaseFileError(f"{file}: test case #{index} has no `test_case:` name")
    name = raw["test_case"]
    if not isinstance(name, str) or not NAME.match(name):
        raise CaseFileError(f"{file}: test case #{index}: name {name!r} must be letters, digits, _ . -")
    at = f"{file}: test case {name!r}"
    _only_keys(raw, CASE_KEYS, at, "key")
    settings: dict[str, str] = {}
    used = raw.get("fixtures") or []
    if not isinstance(used, list) or not all(isinstance(u, str) for u in used):
        raise CaseFileError(f"{at}: `fixtures:` must be a list of fixture names")
    for fixture in used:
        if fixture not in fixtures:
            known = ", ".join(fixtures) or "none defined in this file"
            raise CaseFileError(f"{at}: unknown fixture {fixture!r} (known: {known})")
        for key, value in fixtures[fixture].items():
            if key in settings and settings[key] != value:
                raise CaseFileError(f"{at}: two of its fixtures set `{key}` ({settings[key]!r}, {value!r})")
            settings[key] = value
    if "user" not in settings:
        raise CaseFileError(
            f"{at}: no fixture sets `user` (the signed-in admin); add one such as "
            "`- alice_signed_in: {user: alice@contoso.com}` and list it in the case's `fixtures:`"
        )
    raw_steps = raw.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise CaseFileError(f"{at}: `steps:` must be a non-empty list")
    steps = tuple(_parse_step(step, number, at) for number, step in enumerate(raw_steps, start=1))
    if steps[0].kind not in SENDS:
        raise CaseFileError(f"{at}, step 1: a case starts with a `user:` (or `button:`) step")
    if steps[0].kind == "button":
        raise CaseFileError(f"{at}, step 1: `button:` clicks a button of the last bot turn: none yet")
    return Case(
        name=name,
        file=file,
        user=settings["user"],
        locale=settings.get("locale"),
        steps=steps,
        billing=_parse_billing(raw.get("billing"), at),
    )


def _parse_step(raw: Any, number: int, at: str) -> Step:
    where = f"{at}, step {number}"
    if not isinstance(raw, dict) or not raw:
        raise CaseFileError(f"{where}: a step is one `key: value`, got {raw!r}")
    if len(raw) > 1:
        keys = ", ".join(map(str, raw))
        raise CaseFileError(f"{where}: a step has one key, got {keys}: write them as separate steps")
    ((kind, value),) = raw.items()
    if kind not in STEP_KINDS:
        raise CaseFileError(f"{where}: unknown step key {kind!r} (expected one of: {', '.join(STEP_KINDS)})")
    where = f"{where} ({kind})"
    if kind in ("user", "button", "utter", "bot") and not isinstance(value, str):
        raise CaseFileError(f"{where}: expected a string, got {value!r}")
    if kind == "button" and not value:
        raise CaseFileError(f"{where}: name the button by its title")
    if kind == "utter" and not value.startswith("utter_"):
        raise CaseFileError(f"{where}: {value!r} is not a response name (they start with utter_)")
    if kind == "bot":
        return Step(kind, _text_match(value, where), number)
    if kind in ("slot_was_set", "slot_was_not_set"):
        return Step(kind, _slots(value, where), number)
    return Step(kind, value, number)


def _text_match(value: str, where: str) -> TextMatch:
    if not value:
        raise CaseFileError(f"{where}: an empty text matches every reply; write part of the reply")
    if len(value) >= 2 and value.startswith("/") and value.endswith("/"):
        try:
            return TextMatch(value, re.compile(value[1:-1], re.DOTALL))
        except re.error as error:
            raise CaseFileError(f"{where}: malformed regex {value}: {error}") from None
    return TextMatch(value)


def _slots(value: Any, where: str) -> list[tuple[str, Any]]:
    """`name`, `{name: value}`, or a list of both, as (name, value or ANY_VALUE)."""
    items = value if isinstance(value, list) else [value]
    slots: list[tuple[str, Any]] = []
    for item in items:
        if isinstance(item, str) and item:
            slots.append((item, ANY_VALUE))
        elif isinstance(item, dict) and item and all(isinstance(k, str) for k in item):
            slots.extend(item.items())
        else:
            raise CaseFileError(f"{where}: expected slot names or `name: value` pairs, got {item!r}")
    if not slots:
        raise CaseFileError(f"{where}: name at least one slot")
    return slots


def _parse_billing(raw: Any, at: str) -> BillingExpectations:
    if raw is None:
        return BillingExpectations()
    where = f"{at}, billing"
    if not isinstance(raw, dict):
        raise CaseFileError(f"{where}: expected a mapping of {', '.join(BILLING_KEYS)}")
    _only_keys(raw, BILLING_KEYS, where, "key")
    subscriptions = raw.get("subscriptions") or {}
    if not isinstance(subscriptions, dict) or not all(isinstance(v, dict) for v in subscriptions.values()):
        raise CaseFileError(
            f"{where}: `subscriptions:` maps a subscription id to fields, e.g. {{state: active}}"
        )
    charges = raw.get("succeeded_charges") or {}
    if not isinstance(charges, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in charges.values()
    ):
        raise CaseFileError(f"{where}: `succeeded_charges:` maps a subscription id to a count (0, 1, ...)")
    return BillingExpectations(
        {str(k): dict(v) for k, v in subscriptions.items()}, {str(k): v for k, v in charges.items()}
    )


def _only_keys(mapping: dict[Any, Any], allowed: tuple[str, ...], where: str, what: str) -> None:
    for key in mapping:
        if key not in allowed:
            raise CaseFileError(f"{where}: unknown {what} {key!r} (expected one of: {', '.join(allowed)})")
