"""The processes a conversation bench runs against: a stock `rasa init` project served by `rasa run`, and
our whole stack (billing on a throwaway SQLite file, the action server, Rasa on models/current.tar.gz)
started by the helpers of tests/support/stack.py; their readiness, peak memory and logs, and the
state billing holds of the subscription the script talks about."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.conversations import SUBSCRIPTION
from tests.support.stack import ROOT, Service, action_server, billing_service, free_port, rasa_server

RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
MODEL = ROOT / "models" / "current.tar.gz"
BENCH_DIR = ROOT / "var" / "bench"
STOCK_DIR = BENCH_DIR / "stock"
OURS_DIR = BENCH_DIR / "ours"
COSTS_DIR = OURS_DIR / "costs"
START_TIMEOUT = 240.0


def ensure_stock_project() -> Path:
    """The models directory of the stock project, running `rasa init` first if it has no model yet."""
    models = STOCK_DIR / "models"
    if any(models.glob("*.tar.gz")):
        print(f"stock project: reusing {STOCK_DIR.relative_to(ROOT)}")
        return models
    STOCK_DIR.mkdir(parents=True, exist_ok=True)
    log = BENCH_DIR / "stock-init.log"
    print(f"stock project: `rasa init` in {STOCK_DIR.relative_to(ROOT)} (log: {log.relative_to(ROOT)})")
    started = time.monotonic()
    with log.open("wb") as out:
        done = subprocess.run(
            [str(RASA), "init", "--no-prompt", "--init-dir", str(STOCK_DIR)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0 or not any(models.glob("*.tar.gz")):
        raise RuntimeError(f"`rasa init` failed ({done.returncode}):\n{tail(log)}")
    print(f"stock project: trained in {time.monotonic() - started:.0f}s")
    return models


def start_stock(models: Path) -> Service:
    """`rasa run` on the stock model with its defaults, on a free loopback port; not yet ready."""
    port = free_port()
    log = BENCH_DIR / "stock-rasa.log"
    args = [str(RASA), "run", "--model", str(models), "--port", str(port), "--interface", "127.0.0.1"]
    with log.open("wb") as out:
        process = subprocess.Popen(args, cwd=STOCK_DIR, stdout=out, stderr=subprocess.STDOUT)
    return Service("stock-rasa", f"http://127.0.0.1:{port}", process, log)


def wait_ready(service: Service, timeout: float = START_TIMEOUT) -> None:
    """Return once GET / answers 200; raise if the process exits or the time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"{service.name} exited early:\n{tail(service.log)}")
        try:
            if httpx.get(service.url + "/", timeout=1.0, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{service.name} did not answer GET / within {timeout:.0f}s:\n{tail(service.log)}")


@contextmanager
def our_stack() -> Iterator[tuple[Service, dict[str, int], str, str]]:
    """Billing (fresh SQLite), actions and Rasa on our model; yields (rasa, billing url, database url)."""
    if not MODEL.exists():
        raise RuntimeError(f"no trained model at {MODEL}: run `make model` first")
    shutil.rmtree(OURS_DIR, ignore_errors=True)  # throwaway billing and tracker databases, fresh logs
    OURS_DIR.mkdir(parents=True)
    with (
        billing_service(OURS_DIR) as (billing, database_url),
        action_server(OURS_DIR, billing.url) as actions,
        rasa_server(OURS_DIR, MODEL, actions.url, billing.url) as rasa,
    ):
        pids = {"rasa": rasa.process.pid, "actions": actions.process.pid, "billing": billing.process.pid}
        yield rasa, pids, billing.url, database_url


def peak_rss_mib(service: Service) -> float | None:
    """VmHWM (peak resident set) of a live process from /proc, in MiB; None when unavailable."""
    try:
        status = Path(f"/proc/{service.process.pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def billing_state(billing_url: str, token: str) -> str:
    """The state of Alice's Business Standard subscription (it should stay past_due), or why unknown."""
    try:
        response = httpx.get(
            f"{billing_url}/v1/subscriptions/{SUBSCRIPTION}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=45,  # longer than billing's 30 s connection-pool timeout
            trust_env=False,
        )
    except httpx.HTTPError as error:
        return f"unknown ({type(error).__name__})"
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    return str(response.json().get("state"))
