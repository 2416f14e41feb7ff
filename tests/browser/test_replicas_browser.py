"""The widget on the production profile: two Rasa replicas on PostgreSQL and Redis behind nginx, the
widget on one websocket through nginx, and what either replica emits to the conversation shown."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import (
    AGENT_PASSWORD,
    BOT_TIMEOUT,
    MODEL,
    bot_says,
    reply_button,
    say,
    session_id,
    settle_button,
    sign_in,
)
from tests.support.dates import yy
from tests.support.scale import create_tracker_tables, new_queue_name, postgres_database, scale_settings
from tests.support.stack import TEST_SECRET, free_port, rasa_server, web_service
from tools.scale_profile import nginx_conf, read_env
from web.rasa_client import api_token

pytestmark = pytest.mark.postgres
NGINX = "/usr/sbin/nginx"
STANDARD = "Microsoft 365 Business Standard"


@pytest.fixture(scope="module")
def profile(stack: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Billing and actions of the session's stack; two Rasa replicas, nginx and a web service of the
    production profile's settings."""
    if not Path(NGINX).exists():
        pytest.fail("nginx is not installed: `make nginx` (make test installs it)")
    workdir = tmp_path_factory.mktemp("profile")
    web_port, rasa_port = free_port(), free_port()
    origin = f"http://127.0.0.1:{web_port}"
    with postgres_database("profile") as database, ExitStack() as started:
        create_tracker_tables(database)
        settings = {**scale_settings(database, new_queue_name()), "SOCKETIO_REDIS_URL": "redis://127.0.0.1:6379/2"}
        managers = [
            rasa_server(
                tmp_path_factory.mktemp(f"replica-{n}"), MODEL, stack["actions"].url, stack["billing"].url,
                portal_origin=origin, **settings,
            )
            for n in (1, 2)
        ]
        with ThreadPoolExecutor(2) as pool:
            replicas = list(pool.map(lambda manager: manager.__enter__(), managers))
        for manager in managers:
            started.push(manager)
        env = {
            **read_env(environ={}),
            "RASA_PORT": str(rasa_port),
            "ACTIONS_PORT": str(free_port()),
            "RASA_REPLICAS": ",".join(r.url.removeprefix("http://") for r in replicas),
            "ACTIONS_REPLICAS": stack["actions"].url.removeprefix("http://"),
        }
        (workdir / "tmp").mkdir()
        (workdir / "nginx.conf").write_text(nginx_conf(env))
        nginx = subprocess.Popen(
            [NGINX, "-p", str(workdir), "-c", "nginx.conf", "-e", "stderr", "-g", "daemon off;"],
            stderr=subprocess.DEVNULL,
        )
        started.callback(nginx.wait, 10)
        started.callback(nginx.terminate)
        balancer = f"http://127.0.0.1:{rasa_port}"
        web = started.enter_context(
            web_service(
                workdir, web_port, stack["billing"].url, balancer, AGENT_PASSWORD,
                PORTAL_ORIGIN=origin, RASA_PUBLIC_URL=balancer, SOCKET_TRANSPORTS="websocket",
            )
        )
        yield {"replicas": replicas, "balancer": balancer, "web": web, "origin": origin}


@pytest.fixture
def profile_page(browser: Browser, profile: dict[str, Any]) -> Iterator[Page]:
    context = browser.new_context(base_url=profile["origin"], viewport={"width": 1280, "height": 860})
    context.set_default_timeout(BOT_TIMEOUT)
    yield context.new_page()
    context.close()


def test_the_widget_settles_through_nginx_on_one_websocket(profile_page: Page, profile, shots) -> None:
    page = profile_page
    sockets: list[str] = []
    polls: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    page.on("request", lambda request: "transport=polling" in request.url and polls.append(request.url))
    sign_in(page, "alice@contoso.com", "fr")
    settle_button(page, STANDARD).click()
    bot_says(page, "a expiré")
    reply_button(page, "Modifier la date d'expiration").click()
    bot_says(page, "nouvelle date")
    say(page, f"12/{yy(1)}")
    bot_says(page, "code de sécurité")
    say(page, "123")
    reply_button(page, re.compile(r"^Oui, payer")).click()
    bot_says(page, "Référence du reçu : RCPT-")
    shots(page, "paid-through-nginx")
    port = profile["balancer"].rsplit(":", 1)[1]
    assert sockets and all(f":{port}/socket.io/" in url and "transport=websocket" in url for url in sockets)
    assert polls == []
    page.reload()
    standard = page.locator(f'article.subscription[data-product="{STANDARD}"]')
    expect(standard).to_have_attribute("data-state", "active")


def test_what_either_replica_says_reaches_the_widget(profile_page: Page, profile, shots) -> None:
    # An agent's message is posted to Rasa through nginx, so to either replica; only one holds the socket.
    page = profile_page
    sign_in(page, "bob@contoso.com", "en")
    settle_button(page, "Exchange Online (Plan 1)").click()
    bot_says(page, "declined")
    sid = session_id(page, "bob@contoso.com")
    for replica in profile["replicas"]:
        response = httpx.post(
            f"{replica.url}/conversations/{sid}/tracker/events",
            params={"output_channel": "latest", "execute_side_effects": "true"},
            headers={"Authorization": f"Bearer {api_token(TEST_SECRET)}"},
            json=[{"event": "bot", "text": f"Note from {replica.url}", "metadata": {}}],
            timeout=30,
        )
        assert response.status_code == 200, response.text
    for replica in profile["replicas"]:
        bot_says(page, f"Note from {replica.url}")
    shots(page, "both-replicas")
