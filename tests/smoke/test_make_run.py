"""`make run` as a new user runs it: the Procfile through honcho, then the widget in Chromium.

The only differences from a user's `make run` are an extra env file (free ports, throwaway databases,
test secrets), passed the way the README says an operator adds settings: `ENV_FILES=...`.
Every argument that shapes behaviour (CORS, channels, endpoints, JWT) comes from the Procfile.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from tests.support.stack import ROOT, TEST_SECRET, free_port

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = ROOT / "artifacts" / "browser"
START_TIMEOUT = 300.0


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code < 500
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    workdir = tmp_path_factory.mktemp("make-run")
    ports = {name: free_port() for name in ("billing", "actions", "rasa", "web")}
    origin = f"http://localhost:{ports['web']}"
    settings = {
        "BILLING_PORT": ports["billing"],
        "ACTIONS_PORT": ports["actions"],
        "RASA_PORT": ports["rasa"],
        "WEB_PORT": ports["web"],
        "BILLING_URL": f"http://127.0.0.1:{ports['billing']}",
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{ports['actions']}/webhook",
        "RASA_URL": f"http://127.0.0.1:{ports['rasa']}",
        "WEB_URL": f"http://127.0.0.1:{ports['web']}",
        "PORTAL_ORIGIN": origin,
        "BILLING_PUBLIC_URL": f"http://localhost:{ports['billing']}",
        "RASA_PUBLIC_URL": f"http://localhost:{ports['rasa']}",
        "DATABASE_URL": f"sqlite:///{workdir / 'billing.db'}",
        "WEB_DATABASE_URL": f"sqlite:///{workdir / 'web.db'}",
        "TRACKER_DB_PATH": workdir / "tracker.db",
        "RASA_LOG_FILE": workdir / "rasa-file.log",
        "AUTH_TOKEN_SECRET": TEST_SECRET,
        "RASA_JWT_SECRET": TEST_SECRET,
    }
    env_file = workdir / "smoke.env"
    env_file.write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
    log = workdir / "make-run.log"
    with open(log, "wb") as out:
        make = subprocess.Popen(
            ["make", "--no-print-directory", "run", f"ENV_FILES=defaults.env,.env,{env_file}"],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as Ctrl-C would
        )
    checks = {
        "billing": f"{settings['BILLING_URL']}/health",
        "actions": f"http://127.0.0.1:{ports['actions']}/health",
        "rasa": f"{settings['RASA_URL']}/webhooks/rest/",
        "web": f"{settings['WEB_URL']}/health",
    }
    try:
        deadline = time.monotonic() + START_TIMEOUT
        waiting = dict(checks)
        while waiting and time.monotonic() < deadline:
            if make.poll() is not None:
                pytest.fail(f"make run exited with {make.returncode}:\n{log.read_text()[-4000:]}")
            waiting = {name: url for name, url in waiting.items() if not _ready(url)}
            time.sleep(0.5)
        if waiting:
            pytest.fail(f"{sorted(waiting)} not up after {START_TIMEOUT:.0f}s:\n{log.read_text()[-4000:]}")
        yield {"origin": origin, "ports": ports, "settings": settings, "log": log, "make": make}
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGINT)
            try:
                make.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(make.pid, signal.SIGKILL)
                make.wait()


def test_the_socketio_handshake_carries_one_cors_header(product: dict[str, Any]) -> None:
    response = httpx.get(
        f"{product['settings']['RASA_URL']}/socket.io/",
        params={"EIO": "4", "transport": "polling"},
        headers={"Origin": product["origin"]},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers.get_list("access-control-allow-origin") == [product["origin"]]


def test_a_signed_in_user_gets_an_answer_in_the_widget(product: dict[str, Any]) -> None:
    assert Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            page.set_default_timeout(30_000)
            page.goto(f"{product['origin']}/signin?lang=en")
            page.get_by_role("button", name="alice@contoso.com", exact=True).click()
            page.wait_for_url(re.compile(r"/portal"))
            widget = page.locator(".settlechat")
            expect(widget).to_have_attribute("data-state", "ready", timeout=30_000)
            page.locator(
                'article.subscription[data-product="Microsoft 365 Business Standard"] .settle-balance'
            ).click()
            answer = widget.locator(".sc-bot", has_text="151.20").last
            expect(answer).to_be_visible(timeout=30_000)
            expect(widget.locator(".sc-banner")).to_be_hidden()
            page.screenshot(path=str(ARTIFACTS / "make-run-widget-answers.png"))
        finally:
            browser.close()


def test_no_secret_is_on_any_command_line(product: dict[str, Any]) -> None:
    """`ps` shows every local user each process's arguments: the secrets come from the environment."""
    leaked = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            arguments = cmdline.read_bytes()
        except OSError:
            continue
        if TEST_SECRET.encode() in arguments:
            leaked.append(arguments.replace(b"\0", b" ").decode(errors="replace")[:200])
    assert leaked == []


def test_the_stores_are_readable_by_their_owner_only(product: dict[str, Any]) -> None:
    settings = product["settings"]
    stores = [
        Path(settings["DATABASE_URL"].removeprefix("sqlite:///")),
        Path(settings["WEB_DATABASE_URL"].removeprefix("sqlite:///")),
        Path(settings["TRACKER_DB_PATH"]),
    ]
    modes = {store.name: oct(store.stat().st_mode & 0o777) for store in stores}
    assert modes == {store.name: "0o600" for store in stores}


def test_stopping_make_run_stops_every_process(product: dict[str, Any]) -> None:
    make = product["make"]
    os.killpg(make.pid, signal.SIGINT)
    make.wait(timeout=30)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_listening(p) for p in product["ports"].values()):
        time.sleep(0.3)
    assert [name for name, port in product["ports"].items() if _listening(port)] == []
