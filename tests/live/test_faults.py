"""Fault runs: Bob is at "Pay €40.00 … ?" and says "yes" while something is broken.

For each fault (tracker store unwritable, locked, missing; action server killed; billing killed) the
user's exact reply is checked and printed, no payment is taken while the turn cannot be saved, and
once the fault is gone the same conversation pays exactly once. The module has its own billing, action
server and Rasa, started from the Procfile like `make run`, so a fault never leaks into other tests."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from tests.live.conftest import MODEL
from tests.support.stack import (
    DemoDataReset,
    action_server,
    billing_service,
    free_port,
    mint_token,
    rasa_server,
)

EXCHANGE = "sub_contoso_exchange_plan1"
CHOOSE_EXCHANGE = '/choose_subscription{"subscription": "Exchange Online (Plan 1)"}'
NOT_SAVED = {
    "en": "Sorry, I can't save our conversation right now, so I've stopped here: nothing was paid or "
    "changed. Please try again in a few minutes.",
    "fr": "Désolé, je ne peux pas enregistrer notre conversation pour le moment, je m'arrête donc ici : "
    "rien n'a été payé ni modifié. Réessayez dans quelques minutes.",
}
ACTIONS_DOWN = "Sorry, I can't reach my services right now"
BILLING_DOWN = "The billing service didn't answer in time"
REPORT: list[tuple[str, str, float, int]] = []


class Procs:
    """The module's own billing, action server and Rasa (restarted in place after a kill)."""

    def __init__(self, workdir: Path, stack: ExitStack) -> None:
        self.workdir, self.stack = workdir, stack
        self.billing_port, self.actions_port = free_port(), free_port()
        self.billing_url = f"http://127.0.0.1:{self.billing_port}"
        self.rasa_url = self.database_url = ""
        self.reset: Callable[[], None] = lambda: None

    @property
    def tracker_file(self) -> Path:
        return self.workdir / f"tracker-{self.rasa_url.rsplit(':', 1)[1]}.db"

    def restart_actions(self) -> None:
        self.stack.enter_context(action_server(self.workdir, self.billing_url, port=self.actions_port))

    def restart_billing(self) -> None:
        self.stack.enter_context(billing_service(self.workdir, port=self.billing_port))


class Run:
    """Bob's conversation, at "Pay €40.00 … ?", in the module's processes."""

    def __init__(self, procs: Procs) -> None:
        self.procs = procs
        self.tracker_file = procs.tracker_file
        self.sender = f"fault-{uuid.uuid4().hex[:12]}"
        self.token = mint_token(procs.database_url, "bob@contoso.com")

    def say(self, text: str, locale: str = "en") -> tuple[str, float]:
        started = time.monotonic()
        response = httpx.post(
            self.procs.rasa_url + "/webhooks/rest/webhook",
            json={
                "sender": self.sender,
                "message": text,
                "metadata": {"token": self.token, "locale": locale},
            },
            timeout=60,
        )
        assert response.status_code == 200, response.text
        return "\n".join(r.get("text", "") for r in response.json()), time.monotonic() - started

    def paid(self) -> int:
        charges = httpx.get(
            f"{self.procs.billing_url}/v1/subscriptions/{EXCHANGE}/charges",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=10,
        ).json()
        return len([c for c in charges if c["outcome"] == "succeeded"])

    def about_to_pay(self) -> None:
        self.say("I need to pay my balance")
        self.say(CHOOSE_EXCHANGE)
        said, _ = self.say("/retry_card")
        assert "Pay €40.00" in said, said

    def saved_settles(self) -> int:
        with sqlite3.connect(self.tracker_file) as db:
            (count,) = db.execute(
                "SELECT count(*) FROM events WHERE sender_id = ? AND action_name = 'action_settle'",
                (self.sender,),
            ).fetchone()
        return int(count)


@pytest.fixture(scope="module")
def procs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Procs]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}")
    workdir = tmp_path_factory.mktemp("faults")
    with ExitStack() as stack:
        found = Procs(workdir, stack)
        _, found.database_url = stack.enter_context(billing_service(workdir, port=found.billing_port))
        found.restart_actions()
        actions_url = f"http://127.0.0.1:{found.actions_port}"
        found.rasa_url = stack.enter_context(
            rasa_server(workdir, MODEL, actions_url, found.billing_url)
        ).url
        reset = DemoDataReset(found.database_url)
        stack.callback(reset.close)
        found.reset = reset
        yield found


@pytest.fixture
def run(procs: Procs) -> Run:
    procs.reset()
    bob = Run(procs)
    bob.about_to_pay()
    return bob


def finish(run: Run, fault: str, reply: str, seconds: float) -> None:
    """No payment during the fault; then "yes" pays once, saved, and a second "yes" pays nothing."""
    REPORT.append((fault, reply, seconds, run.paid()))
    print(f"\n{fault}: {seconds:.1f} s, {run.paid()} payment(s), reply: {reply!r}")
    assert run.paid() == 0
    said, _ = run.say("yes")
    assert "Receipt reference" in said, said
    said, _ = run.say("yes")
    assert "Receipt reference" not in said
    assert run.paid() == 1
    assert run.saved_settles() >= 1  # the payment's turn is in the store


@contextmanager
def unwritable(path: Path) -> Iterator[None]:
    """The file cannot be written, even by root (immutable), else by its mode."""
    if os.geteuid() == 0:
        if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(path)]).returncode != 0:
            pytest.skip("running as root without chattr +i: cannot make the file unwritable")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        path.chmod(0o400)
        try:
            yield
        finally:
            path.chmod(0o600)


def test_tracker_store_unwritable(run: Run) -> None:
    with unwritable(run.tracker_file):
        reply, seconds = run.say("yes")
        assert reply == NOT_SAVED["en"]
        reply_fr, _ = run.say("oui", locale="fr")
        assert reply_fr == NOT_SAVED["fr"]  # told in the page's language
    finish(run, "tracker store unwritable", reply, seconds)


def test_tracker_store_locked(run: Run) -> None:
    other = sqlite3.connect(run.tracker_file, timeout=0)
    other.execute("BEGIN EXCLUSIVE")
    try:
        reply, seconds = run.say("yes")
    finally:
        other.rollback()
        other.close()
    assert reply == NOT_SAVED["en"]
    assert seconds < 12
    finish(run, "tracker store locked", reply, seconds)


def test_tracker_store_missing(run: Run) -> None:
    aside = run.tracker_file.with_suffix(".aside")
    run.tracker_file.rename(aside)
    try:
        reply, seconds = run.say("yes")
        assert not run.tracker_file.exists()  # not recreated empty (the conversation would be lost)
    finally:
        aside.rename(run.tracker_file)
    assert reply == NOT_SAVED["en"]
    finish(run, "tracker store missing", reply, seconds)


def test_action_server_killed(run: Run) -> None:
    subprocess.run(["pkill", "-f", f"actions.server --port {run.procs.actions_port}"], check=True)
    time.sleep(2.5)  # past the channel's trust in the last health check
    reply, seconds = run.say("yes")
    assert reply.startswith(ACTIONS_DOWN), reply
    assert run.paid() == 0
    run.procs.restart_actions()
    finish(run, "action server killed", reply, seconds)


def test_billing_killed(run: Run) -> None:
    subprocess.run(["pkill", "-f", f"billing serve --port {run.procs.billing_port}"], check=True)
    time.sleep(1)
    reply, seconds = run.say("yes")
    assert reply.startswith(BILLING_DOWN), reply
    run.procs.restart_billing()
    finish(run, "billing killed", reply, seconds)


def test_zz_print_the_fault_table() -> None:
    """The figures of the runs above, as a table (runs last in this module)."""
    print("\nfault                     | seconds | payments during | reply")
    for fault, reply, seconds, paid in REPORT:
        print(f"{fault:<26}| {seconds:7.1f} | {paid:15d} | {reply[:70]}")
