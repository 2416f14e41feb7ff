"""The runner itself, on a canned transport: no stack needed."""

from __future__ import annotations

import tempfile
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e import runner
from tests.e2e.case_format import ANY_VALUE, Case, CaseFileError, load_cases, parse_document
from tests.e2e.report import write_junit
from tests.e2e.runner import run_case
from tests.e2e.transport import TransportError

GREETING = {
    "text": "Hello! I can help you settle an outstanding balance. What would you like to do?",
    "buttons": [
        {"title": "Settle my balance", "payload": "/settle_balance"},
        {"title": "More information", "payload": "/more_info"},
    ],
    "utter": "utter_greet",
}
SEVERAL = {
    "text": "2 subscriptions have a past-due payment:\n- Business Standard: €151.20\nWhich one do you want?",
    "buttons": [{"title": "Microsoft 365 Business Standard", "payload": '/choose{"s": "standard"}'}],
    "utter": "utter_past_due_several",
}
SUMMARY = {
    "text": "Business Standard has a past-due payment of €151.20: the card on file has expired.",
    "utter": "utter_summary_card_expired",
    "slots": {"subscription_id": "sub_standard"},
}
OPTIONS = {
    "text": "You added this card, so you can retry it or change its expiration date.\n\nWhat do you want?",
    "utter": "utter_options_owner",
}
SCRIPT: dict[str, list[dict[str, Any]]] = {
    "hi": [GREETING],
    "/settle_balance": [SEVERAL],
    '/choose{"s": "standard"}': [SUMMARY, OPTIONS],
    "bonjour": [
        {
            "text": "Hello! I can help you settle an outstanding balance on your subscriptions.",
            "utter": "utter_greet",
        }
    ],
}


class CannedTransport:
    """The Transport interface with canned replies: each sent text has its bot responses, which are
    stored as tracker events and cut at blank lines into REST replies, as Rasa's REST channel does."""

    def __init__(
        self, script: dict[str, list[dict[str, Any]]] = SCRIPT, billing: dict[str, Any] | None = None
    ):
        self.script = script
        self.billing_data = billing or {}
        self.events: dict[str, list[dict[str, Any]]] = {}
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.resets = 0

    def reset_demo_data(self) -> None:
        self.resets += 1

    def sign_in(self, user: str) -> str:
        return f"token-of-{user}"

    def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        if text == "boom":
            raise TransportError("the REST channel refused the message: HTTP 401 signed_out")
        self.sent.append((text, metadata))
        events = self.events.setdefault(sender, [])
        events.append({"event": "user", "text": text, "metadata": metadata})
        replies: list[dict[str, Any]] = []
        for response in self.script.get(text, []):
            events.extend(
                {"event": "slot", "name": k, "value": v} for k, v in response.get("slots", {}).items()
            )
            events.append(
                {"event": "bot", "text": response["text"], "metadata": {"utter_action": response["utter"]}}
            )
            parts = response["text"].split("\n\n")
            replies.extend({"recipient_id": sender, "text": part} for part in parts[:-1])
            replies.append(
                {
                    "recipient_id": sender,
                    "text": parts[-1],
                    **({"buttons": response["buttons"]} if "buttons" in response else {}),
                }
            )
        return replies

    def tracker(self, sender: str) -> dict[str, Any]:
        return {"sender_id": sender, "events": list(self.events.get(sender, []))}

    def billing(self, token: str, path: str) -> tuple[int, Any]:
        if path in self.billing_data:
            return 200, self.billing_data[path]
        return 404, {"error": {"code": "not_found"}}


def cases(text: str, file: str = "cases.yml") -> list[Case]:
    return parse_document(yaml.safe_load(textwrap.dedent(text)), Path(file))


def case_of(steps: str, fixtures: str = "[alice]", billing: str = "") -> Case:
    body = textwrap.indent(textwrap.dedent(steps).strip(), " " * 10)
    billing = textwrap.indent(textwrap.dedent(billing).strip(), " " * 8)
    document = f"""
fixtures:
  - alice: {{user: alice@contoso.com}}
  - french: {{locale: fr}}
test_cases:
  - test_case: the_case
    fixtures: {fixtures}
    steps:
{body}
{("    billing:" + chr(10) + billing) if billing else ""}
"""
    return cases(document)[0]


def play(steps: str, transport: CannedTransport | None = None, **kwargs: str) -> tuple[bool, str]:
    result = run_case(case_of(steps, **kwargs), transport or CannedTransport())
    return result.passed, result.failure or result.error or ""


# ---- reading case files ----------------------------------------------------------------------------
def test_a_case_file_reads_into_cases() -> None:
    (case,) = cases("""
        fixtures:
          - alice_signed_in: {user: alice@contoso.com}
          - french: {locale: fr}
        test_cases:
          - test_case: owner_pays
            fixtures: [alice_signed_in, french]
            steps:
              - user: "bonjour"
              - bot: "/Payer 151,20 .* avec/"
              - utter: utter_greet
              - button: "Régler mon solde"
              - slot_was_set: [language, {subscription_id: sub_standard}]
              - slot_was_not_set: payment_method_id
            billing:
              subscriptions: {sub_standard: {state: active, outstanding: "0.00"}}
              succeeded_charges: {sub_standard: 1}
    """)
    assert (case.name, case.user, case.locale, case.language) == (
        "owner_pays",
        "alice@contoso.com",
        "fr",
        "fr",
    )
    assert [s.kind for s in case.steps] == [
        "user",
        "bot",
        "utter",
        "button",
        "slot_was_set",
        "slot_was_not_set",
    ]
    assert case.steps[1].value.regex is not None and case.steps[1].value.matches("Payer 151,20 € avec Visa")
    assert case.steps[4].value == [("language", ANY_VALUE), ("subscription_id", "sub_standard")]
    assert case.steps[5].value == [("payment_method_id", ANY_VALUE)]
    assert case.billing.succeeded_charges == {"sub_standard": 1}
    assert case.billing.subscriptions == {"sub_standard": {"state": "active", "outstanding": "0.00"}}


def test_without_a_locale_english_is_expected_and_none_is_sent() -> None:
    case = case_of('- user: "hi"')
    assert (case.locale, case.language) == (None, "en")


@pytest.mark.parametrize(
    ("steps", "fixtures", "message"),
    [
        (
            '- user: "hi"\n- usr: "oops"',
            "[alice]",
            "test case 'the_case', step 2: unknown step key 'usr' (expected one of: user, button, bot, utter",
        ),
        ('- user: "hi"\n- bot: "/Pay (€/"', "[alice]", "step 2 (bot): malformed regex /Pay (€/: missing )"),
        ('- user: "hi"\n- bot: ""', "[alice]", "step 2 (bot): an empty text matches every reply"),
        ('- user: "hi"\n  bot: "Hello"', "[alice]", "step 1: a step has one key, got user, bot"),
        ('- bot: "Hello"', "[alice]", "step 1: a case starts with a `user:` (or `button:`) step"),
        ('- button: "Settle"', "[alice]", "step 1: `button:` clicks a button of the last bot turn: none yet"),
        ('- user: "hi"\n- utter: greet', "[alice]", "step 2 (utter): 'greet' is not a response name"),
        ("- user: 12", "[alice]", "step 1 (user): expected a string, got 12"),
        ('- user: "hi"\n- slot_was_set: [{}]', "[alice]", "step 2 (slot_was_set): expected slot names"),
        ('- user: "hi"', "[alise]", "unknown fixture 'alise' (known: alice, french)"),
        ('- user: "hi"', "[french]", "no fixture sets `user` (the signed-in admin)"),
    ],
)
def test_a_bad_case_is_refused_with_where_and_why(steps: str, fixtures: str, message: str) -> None:
    with pytest.raises(CaseFileError) as refused:
        case_of(steps, fixtures=fixtures)
    assert message in str(refused.value)
    assert str(refused.value).startswith("cases.yml: ")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("tests: []", "unknown top-level key 'tests' (expected one of: fixtures, test_cases)"),
        ("test_cases: []", "`test_cases:` must be a non-empty list"),
        (
            "fixtures: [{a: {user: x, role: admin}}]\ntest_cases: [{test_case: t, steps: [user: hi]}]",
            "fixture 'a': unknown setting 'role' (expected one of: user, locale)",
        ),
        (
            "fixtures: [{a: {user: x, locale: de}}]\ntest_cases: [{test_case: t, steps: [user: hi]}]",
            "fixture 'a': locale 'de' is not fr or en",
        ),
        (
            "fixtures: [{a: {user: x}}]\n"
            "test_cases: [{test_case: t, fixtures: [a], steps: [user: hi], when: x}]",
            "test case 't': unknown key 'when'",
        ),
        (
            "fixtures: [{a: {user: x}}]\ntest_cases: [{test_case: 'two words', steps: [user: hi]}]",
            "name 'two words' must be letters, digits, _ . -",
        ),
        (
            "fixtures: [{a: {user: x}}, {b: {user: y}}]\n"
            "test_cases: [{test_case: t, fixtures: [a, b], steps: [user: hi]}]",
            "two of its fixtures set `user` ('x', 'y')",
        ),
        (
            "fixtures: [{a: {user: x}}]\n"
            "test_cases: [{test_case: t, fixtures: [a], steps: [user: hi], billing: {charges: {s: 1}}}]",
            "billing: unknown key 'charges' (expected one of: subscriptions, succeeded_charges)",
        ),
        (
            "fixtures: [{a: {user: x}}]\n"
            "test_cases: [{test_case: t, fixtures: [a], steps: [user: hi],"
            " billing: {succeeded_charges: {s: -1}}}]",
            "`succeeded_charges:` maps a subscription id to a count",
        ),
    ],
)
def test_a_bad_file_is_refused_with_where_and_why(document: str, message: str) -> None:
    with pytest.raises(CaseFileError, match=None) as refused:
        cases(document)
    assert message in str(refused.value)


def test_case_names_are_unique_across_files_and_yaml_errors_name_the_file(tmp_path: Path) -> None:
    one = "fixtures: [{a: {user: x}}]\ntest_cases: [{test_case: same, fixtures: [a], steps: [user: hi]}]\n"
    (tmp_path / "a.yml").write_text(one)
    (tmp_path / "b.yml").write_text(one)
    with pytest.raises(CaseFileError, match=r"b\.yml: test case 'same' is also defined in .*a\.yml"):
        load_cases([tmp_path])
    (tmp_path / "b.yml").write_text("test_cases: [\n")
    with pytest.raises(CaseFileError, match=r"b\.yml: not valid YAML"):
        load_cases([tmp_path / "b.yml"])
    with pytest.raises(CaseFileError, match="no such file or directory"):
        load_cases([tmp_path / "missing.yml"])


# ---- playing a case --------------------------------------------------------------------------------
def test_a_case_that_holds_passes_from_fresh_demo_data() -> None:
    transport = CannedTransport()
    passed, failure = play(
        """
        - user: "hi"
        - bot: "Hello! I can help"
        - utter: utter_greet
        - button: "Settle my balance"
        - bot: "/2 subscriptions .*: €151\\\\.20/"
        - button: "Microsoft 365 Business Standard"
        - slot_was_set: {subscription_id: sub_standard}
        - slot_was_not_set: [payment_method_id, {subscription_id: sub_other}]
        """,
        transport,
    )
    assert passed, failure
    assert transport.resets == 1


def test_a_click_sends_the_payload_with_its_title_and_the_locale_as_the_widget_does() -> None:
    transport = CannedTransport()
    passed, failure = play('- user: "bonjour"', transport, fixtures="[alice, french]")
    assert not passed and "every reply in 'fr'" in failure  # the canned reply is English
    transport = CannedTransport()
    play('- user: "hi"\n- button: "More information"', transport)
    assert transport.sent[0] == ("hi", {"token": "token-of-alice@contoso.com"})
    assert transport.sent[1] == (
        "/more_info",
        {"token": "token-of-alice@contoso.com", "shown_as": "More information"},
    )


def test_a_button_not_offered_in_the_last_turn_fails_with_the_buttons_offered() -> None:
    passed, failure = play('- user: "hi"\n- button: "Pay now"')
    assert not passed
    assert "step:     - button: 'Pay now'" in failure
    assert "no such button; offered: [Settle my balance] [More information]" in failure


def test_a_button_of_an_earlier_turn_is_not_offered_any_more() -> None:
    passed, failure = play('- user: "hi"\n- button: "Settle my balance"\n- button: "More information"')
    assert not passed and "offered: [Microsoft 365 Business Standard]" in failure


@pytest.mark.parametrize(
    ("checks", "passes"),
    [
        (['bot: "past-due payment of"', 'bot: "What do you want"'], True),  # in order
        (['bot: "What do you want"', 'bot: "past-due payment of"'], False),  # a later reply only
        (['bot: "€151.20"', 'bot: "€151.20"'], False),  # one reply says it: a second bot step needs another
        (['bot: "card"', 'bot: "card"'], True),  # two replies say it
        (['bot: "has expired"', "utter: utter_summary_card_expired"], True),  # text and name of one reply
        (["utter: utter_summary_card_expired", 'bot: "has expired"'], True),
        (["utter: utter_options_owner", 'bot: "What do you want"'], True),  # 2nd part of that response
        (["utter: utter_options_owner", "utter: utter_options_owner"], False),  # its parts are one response
        (["utter: utter_options_owner", "utter: utter_summary_card_expired"], False),
        (['bot: "What do you want"', "utter: utter_summary_card_expired"], False),
    ],
)
def test_bot_and_utter_steps_match_the_replies_in_order(checks: list[str], passes: bool) -> None:
    steps = ['- user: "hi"', '- button: "Settle my balance"', '- button: "Microsoft 365 Business Standard"']
    passed, failure = play("\n".join(steps + [f"- {c}" for c in checks]))
    assert passed is passes, failure


def test_slots_are_those_set_since_the_last_user_message() -> None:
    passed, failure = play(
        """
        - user: "hi"
        - button: "Settle my balance"
        - button: "Microsoft 365 Business Standard"
        - slot_was_set: subscription_id
        - user: "hi"
        - slot_was_set: subscription_id
        """
    )
    assert not passed
    assert "expected: subscription_id set since the last user message" in failure
    assert "got:      no slot set since the last user message" in failure
    passed, failure = play("""
        - user: "hi"
        - button: "Settle my balance"
        - button: "Microsoft 365 Business Standard"
        - slot_was_not_set: subscription_id
    """)
    assert (
        not passed and "subscription_id NOT set" in failure and "subscription_id = 'sub_standard'" in failure
    )


def test_the_diff_names_the_case_the_step_what_was_expected_and_the_transcript() -> None:
    passed, failure = play('- user: "hi"\n- button: "Settle my balance"\n- bot: "/3 subscriptions/"')
    assert not passed
    assert failure.splitlines()[:3] == [
        "FAILED the_case  (cases.yml)",
        "  step:     - bot: '/3 subscriptions/'",
        "  expected: a reply matching /3 subscriptions/ in this turn",
    ]
    assert "got:      no such reply; this turn's replies:" in failure
    transcript = failure.split("transcript so far:\n", 1)[1]
    assert transcript.splitlines() == [
        "  user: hi",
        f"  bot:  {GREETING['text']}",
        "        [Settle my balance] [More information]",
        "        <utter_greet>",
        "  user: [Settle my balance]",
        "  bot:  2 subscriptions have a past-due payment:",
        "        - Business Standard: €151.20",
        "        Which one do you want?",
        "        [Microsoft 365 Business Standard]",
        "        <utter_past_due_several>",
    ]


def test_substrings_ignore_no_break_spaces_and_regexes_span_lines() -> None:
    script = {
        "bonjour": [{"text": "Vous devez 151,20\u00a0€ pour votre abonnement.\nLequel ?", "utter": "utter_x"}]
    }
    passed, failure = play(
        """
        - user: "bonjour"
        - bot: "151,20 € pour"
        - utter: utter_x
        - user: "bonjour"
        - bot: "/devez.*Lequel/"
        """,
        CannedTransport(script),
        fixtures="[alice, french]",
    )
    assert passed, failure


BILLING = {
    "/v1/subscriptions/sub_standard": {
        "state": "active",
        "outstanding": {"amount": "0.00", "currency": "EUR"},
        "payment_method": {"last4": "4242", "exp_month": 12, "exp_year": 2027},
    },
    "/v1/subscriptions/sub_standard/charges": [{"outcome": "declined"}, {"outcome": "succeeded"}],
}


def test_billing_is_checked_after_the_conversation_with_the_users_token() -> None:
    expected = """
        subscriptions:
          sub_standard: {state: active, outstanding: 0.00, payment_method: {exp_month: 12, exp_year: 2027}}
        succeeded_charges: {sub_standard: 1}
    """
    passed, failure = play('- user: "hi"', CannedTransport(billing=BILLING), billing=expected)
    assert passed, failure
    wrong = """
        subscriptions:
          sub_standard: {state: past_due, payment_method: {last4: "4444"}}
          sub_gone: {state: active}
        succeeded_charges: {sub_standard: 2}
    """
    passed, failure = play('- user: "hi"', CannedTransport(billing=BILLING), billing=wrong)
    assert not passed
    assert "step:     billing (after the conversation)" in failure
    for problem in [
        "subscription sub_standard: state is 'active', expected 'past_due'",
        "subscription sub_standard: payment_method.last4 is '4242', expected '4444'",
        "subscription sub_gone: billing answered HTTP 404",
        "charges of sub_standard: 1 succeeded, expected 2 (all outcomes: ['declined', 'succeeded'])",
    ]:
        assert problem in failure


def test_a_stack_that_refuses_is_an_error_not_a_failure() -> None:
    result = run_case(case_of('- user: "hi"\n- user: "boom"'), CannedTransport())
    assert result.failure is None and result.error is not None
    assert "HTTP 401 signed_out" in result.error and "  user: hi" in result.error


# ---- reports and the command line ------------------------------------------------------------------
def test_junit_xml_has_one_testcase_a_case_with_its_failure(tmp_path: Path) -> None:
    transport = CannedTransport()
    results = [
        run_case(case_of('- user: "hi"\n- utter: utter_greet'), transport),
        run_case(case_of('- user: "hi"\n- bot: "Goodbye"'), transport),
        run_case(case_of('- user: "boom"'), transport),
    ]
    write_junit(results, tmp_path / "out" / "e2e.xml")
    junit = ET.parse(tmp_path / "out" / "e2e.xml").getroot()  # noqa: S314 (our own file)
    suite = junit.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "1")
    passed, failed, errored = suite.findall("testcase")
    assert (passed.get("name"), passed.get("classname"), passed.get("file")) == (
        "the_case",
        "e2e.cases",
        "cases.yml",
    )
    assert passed.find("failure") is None and "user: hi" in (passed.findtext("system-out") or "")
    failure = failed.find("failure")
    assert (
        failure is not None
        and failure.get("message") == "- bot: 'Goodbye': expected a reply containing 'Goodbye' in this turn"
    )
    assert (failure.text or "").startswith("FAILED the_case")
    assert errored.find("error") is not None


@contextmanager
def canned_stack(workdir: Path) -> Iterator[CannedTransport]:
    yield CannedTransport()


def test_the_command_line_exits_non_zero_on_a_failed_case_and_writes_junit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(runner, "own_stack", canned_stack)
    monkeypatch.setattr(tempfile, "mkdtemp", lambda prefix: str(tmp_path / "stack"))
    (tmp_path / "stack").mkdir()
    file = tmp_path / "cases.yml"
    file.write_text(
        textwrap.dedent("""
        fixtures: [{alice: {user: alice@contoso.com}}]
        test_cases:
          - {test_case: greets, fixtures: [alice], steps: [{user: hi}, {utter: utter_greet}]}
          - {test_case: says_goodbye, fixtures: [alice], steps: [{user: hi}, {bot: Goodbye}]}
    """)
    )
    assert runner.main([str(file), "--junit", str(tmp_path / "e2e.xml")]) == 1
    out = capsys.readouterr().out
    assert (
        "PASSED greets" in out and "FAILED says_goodbye" in out and "1 passed, 1 failed: says_goodbye" in out
    )
    junit = ET.parse(tmp_path / "e2e.xml").getroot()  # noqa: S314 (our own file)
    assert [c.get("name") for c in junit.iter("testcase")] == ["greets", "says_goodbye"]
    assert runner.main([str(file), "-k", "greets"]) == 0
    assert not (tmp_path / "stack").exists()  # the stack's directory goes when every case passed


def test_the_command_line_refuses_bad_files_before_starting_a_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_stack(workdir: Path) -> Iterator[CannedTransport]:
        raise AssertionError("no stack for a bad case file")

    monkeypatch.setattr(runner, "own_stack", no_stack)
    file = tmp_path / "cases.yml"
    file.write_text(
        "fixtures: [{a: {user: x}}]\ntest_cases: [{test_case: t, fixtures: [a], steps: [{usr: hi}]}]\n"
    )
    assert runner.main([str(file)]) == 2
    assert "case file error: " in capsys.readouterr().err
    file.write_text(
        "fixtures: [{a: {user: x}}]\ntest_cases: [{test_case: t, fixtures: [a], steps: [{user: hi}]}]\n"
    )
    assert runner.main([str(file), "-k", "nothing"]) == 2
    assert "no case matches -k nothing" in capsys.readouterr().err
