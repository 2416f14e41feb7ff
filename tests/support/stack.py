"""Starts the real processes for tests: billing on a throwaway database, actions, Rasa."""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from tests.support.dates import TODAY

ROOT = Path(__file__).resolve().parents[2]
SVC_PYTHON = ROOT / ".venv-svc" / "bin" / "python"
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
TEST_SECRET = "test-secret-" + "x" * 40
# The date billing and the actions are started on (their `--today`): TEST_TODAY, else the system's date.
TEST_TODAY = TODAY.isoformat()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Service:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def _wait(service: Service, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"{service.name} exited early:\n{service.log_text()[-3000:]}")
        try:
            if httpx.get(service.url + path, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    service.stop()
    raise RuntimeError(f"{service.name} did not start in {timeout}s:\n{service.log_text()[-3000:]}")


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of an env file (as honcho reads defaults.env and .env); comments skipped."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip().strip("'\"")
    return values


def procfile() -> dict[str, str]:
    """The Procfile's command line of each process: the one definition `make run` starts too."""
    lines = (line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if ":" in line)
    return {name.strip(): command.strip() for name, command in lines}


def process_env(overrides: dict[str, str]) -> dict[str, str]:
    """What honcho gives a process: the environment, then defaults.env, then (for tests) the overrides
    of ports, databases and secrets."""
    return {
        **os.environ,
        **read_env_file(ROOT / "defaults.env"),
        "AUTH_TOKEN_SECRET": TEST_SECRET,
        "RASA_JWT_SECRET": TEST_SECRET,
        **overrides,
    }


def _start(
    name: str,
    overrides: dict[str, str],
    logdir: Path,
    port: int,
    health: str,
    timeout: float,
    today: str | None = None,
) -> Service:
    """Runs the Procfile line of `name` through the shell, as honcho does, with test ports and stores;
    `today` appends the process's clock option (`--today YYYY-MM-DD`)."""
    log = logdir / f"{name}.log"
    command = procfile()[name]
    if today is not None:
        command += f" --today {shlex.quote(date.fromisoformat(today).isoformat())}"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            ["/bin/sh", "-c", f"exec {command}"],  # exec: the pid is the service's own
            cwd=ROOT,
            env=process_env(overrides),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    service = Service(name, f"http://127.0.0.1:{port}", process, log)
    _wait(service, health, timeout)
    return service


def mint_token(database_url: str, user: str, ttl: int = 3600) -> str:
    result = subprocess.run(
        [str(SVC_PYTHON), "-m", "billing", "mint-token", user, "--ttl", str(ttl)],
        cwd=ROOT,
        env={**os.environ, "AUTH_TOKEN_SECRET": TEST_SECRET, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


@contextmanager
def billing_service(
    workdir: Path,
    portal_origin: str | None = None,
    port: int | None = None,
    database_url: str | None = None,
    today: str = TEST_TODAY,
) -> Iterator[tuple[Service, str]]:
    """Billing on the SQLite file of `workdir`, or on `database_url` (the demo data seeded once, relative
    to `today`, the date its clock starts on); yields (service, database url)."""
    database_url = database_url or f"sqlite:///{workdir / 'billing.db'}"
    port = port or free_port()
    env = {"DATABASE_URL": database_url, "BILLING_PORT": str(port)}
    if portal_origin:
        env["PORTAL_ORIGIN"] = portal_origin
    service = _start("billing", env, workdir, port, "/health", 60, today=today)
    try:
        yield service, database_url
    finally:
        service.stop()


@contextmanager
def action_server(
    workdir: Path,
    billing_url: str,
    web_url: str = "http://127.0.0.1:9",
    port: int | None = None,
    today: str = TEST_TODAY,
) -> Iterator[Service]:
    """The action server on `today` (date-sensitive answers such as "already past" follow the tests'
    date); `web_url` is the web service's handoff API (default: nothing listens)."""
    port = port or free_port()
    env = {"BILLING_URL": billing_url, "WEB_URL": web_url, "ACTIONS_PORT": str(port)}
    service = _start("actions", env, workdir, port, "/health", 90, today=today)
    try:
        yield service
    finally:
        service.stop()


@contextmanager
def rasa_server(
    workdir: Path,
    model: Path,
    actions_url: str,
    billing_url: str,
    portal_origin: str | None = None,
    **extra: str,
) -> Iterator[Service]:
    """Rasa on the model, with the project's credentials.yml and endpoints.yml (`extra` overrides more
    settings, e.g. RASA_ENDPOINTS=endpoints.scale.yml and its databases)."""
    port = free_port()
    env = {
        "RASA_PORT": str(port),
        "RASA_MODEL": str(model),
        "ACTION_ENDPOINT_URL": f"{actions_url}/webhook",
        "BILLING_URL": billing_url,
        "TRACKER_DB_PATH": str(workdir / f"tracker-{port}.db"),
        "RASA_LOG_FILE": str(workdir / f"rasa-{port}-file.log"),
    }
    if portal_origin:
        env["PORTAL_ORIGIN"] = portal_origin
    env.update(extra)
    service = _start("rasa", env, workdir, port, "/", 240)
    try:
        _wait(service, "/webhooks/rest/", 60)
        yield service
    finally:
        service.stop()


@contextmanager
def web_service(
    workdir: Path, port: int, billing_url: str, rasa_url: str, agent_password: str, **env: str
) -> Iterator[Service]:
    """The portal and agent console on `port` (chosen before the action server, which calls it),
    with its own database under `workdir`; `env` adds settings (e.g. HANDOFF_TIMEOUT_SECONDS)."""
    overrides = {
        "WEB_PORT": str(port),
        "BILLING_URL": billing_url,
        "BILLING_PUBLIC_URL": billing_url,
        "RASA_URL": rasa_url,
        "RASA_PUBLIC_URL": rasa_url,
        "WEB_DATABASE_URL": f"sqlite:///{workdir / 'web.db'}",
        "AGENT_DEMO_PASSWORD": agent_password,
        **env,
    }
    service = _start("web", overrides, workdir, port, "/health", 60)
    try:
        yield service
    finally:
        service.stop()


@contextmanager
def live_stack(
    workdir: Path, model: Path, agent_password: str, today: str = TEST_TODAY, **web_env: str
) -> Iterator[dict[str, Any]]:
    """Billing, actions, Rasa and web on throwaway stores under `workdir`, each from its Procfile line,
    billing and the actions on `today`: {"billing", "actions", "rasa", "web": Service, "database_url":
    billing's database, "today": the date}."""
    web_port = free_port()
    web_url = f"http://127.0.0.1:{web_port}"
    with (
        billing_service(workdir, today=today) as (billing, database_url),
        action_server(workdir, billing.url, web_url=web_url, today=today) as actions,
        rasa_server(workdir, model, actions.url, billing.url) as rasa,
        web_service(workdir, web_port, billing.url, rasa.url, agent_password, **web_env) as web,
    ):
        yield {
            "billing": billing,
            "actions": actions,
            "rasa": rasa,
            "web": web,
            "database_url": database_url,
            "today": today,
        }


RESET_LOOP = """
import sys
from datetime import date
from billing import audit, seed
from billing.clock import starting_on
from billing.db import make_engine, make_sessionmaker
sessions = make_sessionmaker(make_engine(sys.argv[1]))
clock = starting_on(date.fromisoformat(sys.argv[2]))
for _ in sys.stdin:
    with sessions.begin() as session:
        seed.drop_all(session)
        seed.seed(session, clock())
        audit.record(session, at=clock(), actor="tests", tenant_id=None, action="demo.reset")
    print("ok", flush=True)
"""


class DemoDataReset:
    """Puts the demo data back between tests (seeded on `today`, the date billing was started on),
    through one long-lived billing-environment process."""

    def __init__(self, database_url: str, today: str = TEST_TODAY):
        self._process = subprocess.Popen(
            [str(SVC_PYTHON), "-c", RESET_LOOP, database_url, today],
            cwd=ROOT,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )

    def __call__(self) -> None:
        assert self._process.stdin and self._process.stdout
        self._process.stdin.write("reset\n")
        self._process.stdin.flush()
        if self._process.stdout.readline().strip() != "ok":
            raise RuntimeError("resetting the demo data failed")

    def close(self) -> None:
        if self._process.stdin:
            self._process.stdin.close()
        self._process.wait(timeout=10)
