"""Load test: REST users and socket.io users playing whole settle conversations, billing checked after.

Against a stack you started (`make run`, or `make run-scale` for the replicas behind nginx), on this
machine only:

    .venv-svc/bin/locust -f bench/locustfile.py --headless --host http://127.0.0.1:5005 \
        --users 20 --spawn-rate 5 --run-time 60s

Each user is signed in as alice@contoso.com (a token minted by billing's own command with the secret of
`.env`) and plays, again and again on a fresh conversation, the script of bench/conversation_latency.py:
hello, "I need to pay my balance", Business Standard, change the expiration date, 12/27, then "cancel"
at the security code question (a saved date would change the next conversation's answers). REST users
post to /webhooks/rest/webhook; socket.io users hold one websocket (as the widget does with
`SOCKET_TRANSPORTS=websocket`) and wait for the bot message each step expects. Locust reports every
step (name = the step) with its latency. At the end the billing state is checked: every conversation
stopped before anything was saved or paid, so Business Standard must still be past due with no new
charge; the run fails (exit 1) if not, or if any step went off script. Bounded: at most MAX_USERS
users and a --run-time is required; any host other than the loopback is refused.
"""

from __future__ import annotations

import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import socketio
from locust import User, between, events, task
from locust.env import Environment
from locust.exception import StopUser

from bench.conversations import OURS_SCRIPT

ROOT = Path(__file__).resolve().parents[1]
USER = "alice@contoso.com"
SUBSCRIPTION = "sub_contoso_business_standard"
MAX_USERS = 200
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
STEP_TIMEOUT = 60.0
SCRIPT = OURS_SCRIPT  # the conversation of bench/conversation_latency.py, every step with its words
STATE: dict[str, Any] = {"off_script": 0, "conversations": 0, "charges_before": None}
LOCK = threading.Lock()


def read_env() -> dict[str, str]:
    values: dict[str, str] = {}
    for name in ("defaults.env", ".env"):
        path = ROOT / name
        for line in path.read_text().splitlines() if path.exists() else []:
            if "=" in line and not line.lstrip().startswith("#"):
                key, value = line.split("=", 1)
                values[key.strip()] = value.strip().strip("'\"")
    return values


def mint_token(env: dict[str, str]) -> str:
    """A portal token for USER, from billing's command with the stack's own secret and database."""
    result = subprocess.run(
        [str(ROOT / ".venv-svc" / "bin" / "python"), "-m", "billing", "mint-token", USER, "--ttl", "7200"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def billing(env: dict[str, str], path: str) -> Any:
    response = httpx.get(
        env["BILLING_URL"] + path, headers={"Authorization": f"Bearer {STATE['token']}"}, timeout=10
    )
    response.raise_for_status()
    return response.json()


def charges(env: dict[str, str]) -> int:
    found = billing(env, f"/v1/subscriptions/{SUBSCRIPTION}/charges")
    items = found.get("items", found) if isinstance(found, dict) else found
    return sum(1 for charge in items if charge.get("status") == "succeeded")


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument("--socketio-share", type=float, default=0.5, help="share of socket.io users (0-1)")


@events.test_start.add_listener
def _start(environment: Environment, **_: Any) -> None:
    options = environment.parsed_options
    host = urlsplit(environment.host or "").hostname
    if host not in LOOPBACK:
        raise SystemExit(f"refused: {environment.host!r} is not this machine (loopback only)")
    if options is not None and (not options.run_time or options.num_users > MAX_USERS):
        raise SystemExit(f"refused: give --run-time and at most {MAX_USERS} users")
    env = read_env()
    STATE["env"] = env
    STATE["token"] = mint_token(env)
    STATE["charges_before"] = charges(env)
    if options is not None:
        share = min(max(options.socketio_share, 0.0), 1.0)
        RestSettle.weight, SocketSettle.weight = max(1, round((1 - share) * 10)), max(1, round(share * 10))


@events.test_stop.add_listener
def _stop(environment: Environment, **_: Any) -> None:
    env = STATE.get("env")
    if not env:
        return
    state = billing(env, f"/v1/subscriptions/{SUBSCRIPTION}")["state"]
    new_charges = charges(env) - (STATE["charges_before"] or 0)
    print(
        f"\nbilling after the run: {SUBSCRIPTION} {state}, {new_charges} new succeeded charges, "
        f"{STATE['conversations']} whole conversations, {STATE['off_script']} steps off script"
    )
    if state != "past_due" or new_charges != 0 or STATE["off_script"]:
        environment.process_exit_code = 1


def _record(environment: Environment, kind: str, step: int, started: float, said: str, wanted: str) -> None:
    on_script = wanted in said
    if not on_script:
        with LOCK:
            STATE["off_script"] += 1
    environment.events.request.fire(
        request_type=kind,
        name=f"{step + 1}. {SCRIPT[step][0][:40]}",
        response_time=(time.perf_counter() - started) * 1000,
        response_length=len(said),
        exception=None if on_script else AssertionError(f"wanted {wanted!r}, got {said[:200]!r}"),
        context={},
    )


class RestSettle(User):
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        self.http = httpx.Client(base_url=self.host, timeout=STEP_TIMEOUT)

    def on_stop(self) -> None:
        self.http.close()

    @task
    def settle(self) -> None:
        sender = f"locust-rest-{uuid.uuid4().hex[:12]}"
        for step, (text, wanted) in enumerate(SCRIPT):
            started = time.perf_counter()
            body = {"sender": sender, "message": text, "metadata": {"token": STATE["token"]}}
            try:
                response = self.http.post("/webhooks/rest/webhook", json=body)
                said = " ".join(r.get("text", "") for r in response.json()) if response.is_success else ""
            except httpx.HTTPError as error:
                said = f"({type(error).__name__})"
            _record(self.environment, "rest", step, started, said, wanted)
        with LOCK:
            STATE["conversations"] += 1


class SocketSettle(User):
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        self.heard: list[str] = []
        self.arrived = threading.Event()
        # The portal's origin, as the widget's browser sends it: Rasa refuses a socket from anywhere else.
        origin = STATE["env"].get("PORTAL_ORIGIN", "http://localhost:8080")
        self.sio = socketio.Client(reconnection=False, websocket_extra_options={"origin": origin})
        self.sio.on("bot_uttered", self._heard)
        try:
            self.sio.connect(
                self.host,
                socketio_path="/socket.io",
                transports=["websocket"],
                auth={"token": STATE["token"]},
            )
        except socketio.exceptions.ConnectionError as error:
            raise StopUser() from error

    def on_stop(self) -> None:
        self.sio.disconnect()

    def _heard(self, message: Any) -> None:
        self.heard.append(str((message or {}).get("text") or ""))
        self.arrived.set()

    @task
    def settle(self) -> None:
        confirmed = threading.Event()
        self.sio.on("session_confirm", lambda sid: (setattr(self, "session", sid), confirmed.set()))
        self.sio.emit("session_request", {"session_id": None})  # a fresh conversation each time
        if not confirmed.wait(STEP_TIMEOUT):
            raise StopUser()
        for step, (text, wanted) in enumerate(SCRIPT):
            self.heard.clear()
            started = time.perf_counter()
            self.sio.emit("user_uttered", {"message": text, "session_id": self.session, "metadata": {}})
            deadline = started + STEP_TIMEOUT
            while wanted not in " ".join(self.heard) and time.perf_counter() < deadline:
                self.arrived.wait(0.2)
                self.arrived.clear()
            _record(self.environment, "socket.io", step, started, " ".join(self.heard), wanted)
        with LOCK:
            STATE["conversations"] += 1
