"""Browser tests: the whole stack (billing, actions, Rasa, web) driven by Playwright on Debian's Chromium.

Every process is started from its Procfile line (tests/support/stack.py), on free ports; the portal origin
is http://127.0.0.1:<web port>, which billing (CORS) and Rasa (socket.io CORS) are told through
PORTAL_ORIGIN. tests/smoke starts the same stack through `make run` itself.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.support.stack import (
    ROOT,
    TEST_SECRET,
    DemoDataReset,
    action_server,
    billing_service,
    free_port,
    rasa_server,
    web_service,
)

MODEL = Path(os.environ.get("RASA_MODEL", ROOT / "models" / "current.tar.gz"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "artifacts" / "browser"
HANDOFF_TIMEOUT = 25  # seconds a request waits in the queue before the assistant takes it back
AGENT_PASSWORD = "agent-browser-test"
BOT_TIMEOUT = 30_000  # ms: a turn can call the action server and billing several times

expect.set_options(timeout=BOT_TIMEOUT)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make model` first")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    workdir = tmp_path_factory.mktemp("browser-stack")
    web_port = free_port()
    origin = f"http://127.0.0.1:{web_port}"
    with (
        billing_service(workdir, portal_origin=origin) as (billing, database_url),
        action_server(workdir, billing.url, web_url=origin) as actions,
        rasa_server(workdir, MODEL, actions.url, billing.url, portal_origin=origin) as rasa,
        web_service(
            workdir,
            web_port,
            billing.url,
            rasa.url,
            AGENT_PASSWORD,
            PORTAL_ORIGIN=origin,
            HANDOFF_TIMEOUT_SECONDS=str(HANDOFF_TIMEOUT),
        ) as web,
    ):
        yield {
            "billing": billing,
            "actions": actions,
            "rasa": rasa,
            "web": web,
            "database_url": database_url,
            "origin": origin,
        }


@pytest.fixture(scope="session")
def demo_reset(stack: dict[str, Any]) -> Iterator[DemoDataReset]:
    reset = DemoDataReset(stack["database_url"])
    yield reset
    reset.close()


@pytest.fixture(autouse=True)
def fresh_demo_data(demo_reset: DemoDataReset) -> None:
    demo_reset()


@pytest.fixture(scope="session")
def browser(stack: dict[str, Any]) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser: Browser, stack: dict[str, Any]) -> Iterator[Any]:
    """Fresh browser profiles (cookies, localStorage) on the portal origin."""
    contexts: list[BrowserContext] = []

    def make() -> BrowserContext:
        context = browser.new_context(base_url=stack["origin"], viewport={"width": 1280, "height": 860})
        context.set_default_timeout(BOT_TIMEOUT)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: Any) -> Page:
    return new_context().new_page()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Any:
    """shots(page, "step") saves artifacts/browser/<test>-<n>-<step>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")
    count = [0]

    def shoot(page: Page, step: str) -> Path:
        count[0] += 1
        path = ARTIFACTS / f"{name}-{count[0]:02d}-{step}.png"
        page.screenshot(path=str(path))
        return path

    return shoot


# ---- helpers shared by the tests ------------------------------------------------------------------


def sign_in(page: Page, user: str, lang: str = "en") -> None:
    page.goto(f"/signin?lang={lang}")
    page.get_by_role("button", name=user, exact=True).click()
    page.wait_for_url(re.compile(r"/portal"))
    expect(page.locator("html")).to_have_attribute("lang", lang)
    wait_widget_ready(page)


def wait_widget_ready(page: Page) -> None:
    """The widget is connected, its session confirmed and the history replayed."""
    expect(page.locator(".settlechat")).to_have_attribute("data-state", "ready")


def settle_button(page: Page, product: str):
    return page.locator(f'article.subscription[data-product="{product}"] .settle-balance')


def log(page: Page):
    return page.locator('.settlechat [role="log"]')


def bot_says(page: Page, text: str):
    """Waits for a bot message containing `text` and returns it."""
    message = log(page).locator(".sc-bot", has_text=text).last
    expect(message).to_be_visible()
    return message


def reply_button(page: Page, title: str | re.Pattern[str]):
    """The enabled quick reply with this title (the latest one)."""
    return log(page).locator(".sc-reply:not([disabled])").filter(has_text=title).last


def say(page: Page, text: str) -> None:
    name = re.compile("Message to the billing assistant|Message à l'assistant")
    box = page.get_by_role("textbox", name=name)
    box.fill(text)
    box.press("Enter")


def session_id(page: Page, user: str) -> str:
    sid = page.evaluate("(u) => localStorage.getItem('settlechat:' + u + ':sid')", user)
    assert sid, "the widget stored no session id"
    return str(sid)


def rasa_tracker(stack: dict[str, Any], sid: str) -> dict[str, Any]:
    token = jwt.encode({"user": {"username": "qa", "role": "admin"}}, TEST_SECRET, algorithm="HS256")
    response = httpx.get(
        f"{stack['rasa'].url}/conversations/{sid}/tracker",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    response.raise_for_status()
    return dict(response.json())


def console_sign_in(page: Page, email: str) -> None:
    page.goto("/console")
    page.wait_for_url(re.compile(r"/console/signin"))
    page.get_by_label("Work e-mail").fill(email)
    page.get_by_label("Password").fill(AGENT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/console$"))
    expect(page.locator("#live")).to_have_text("live")


def queue_item(page: Page, section: str, user: str):
    """The queue entry of `user` in a section of the console (waiting, assigned, follow-up)."""
    return page.locator(f"#{section} a", has_text=user)
