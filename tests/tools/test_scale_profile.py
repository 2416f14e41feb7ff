"""The production profile's files: the Procfile's own lines once per replica, and an nginx config that
nginx itself accepts."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tools.scale_profile import ProfileError, nginx_conf, procfile, read_env, replicas

ROOT = Path(__file__).parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def env() -> dict[str, str]:
    return read_env(ROOT, environ={})


def test_the_profile_reads_defaults_then_scale_env(env):
    assert env["RASA_ENDPOINTS"] == "endpoints.scale.yml"  # scale.env over defaults.env
    assert env["RASA_PORT"] == "5005" and env["BILLING_PORT"] == "8081"  # defaults.env kept
    assert read_env(ROOT, environ={"RASA_REPLICAS": "127.0.0.1:6001"})["RASA_REPLICAS"] == "127.0.0.1:6001"


def test_each_replica_runs_the_procfile_line_on_its_port(env, tmp_path):
    lines = dict(line.split(": ", 1) for line in procfile(env, tmp_path).splitlines())
    rasa = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("rasa:"))
    assert sorted(lines) == ["actions-1", "actions-2", "billing", "nginx", "rasa-1", "rasa-2", "web"]
    # exec: the shell becomes the process, so honcho's Ctrl-C stops it (a child would be left running)
    settings = "RASA_PORT=5016 RASA_LOG_FILE=var/rasa-2.log"
    assert lines["rasa-2"] == f"export {settings}; exec {rasa[len('rasa: '):]}"
    assert lines["actions-1"].startswith("export ACTIONS_PORT=5065; exec .venv-rasa/bin/python -m actions.")
    assert "-c nginx.conf" in lines["nginx"] and str(tmp_path.resolve()) in lines["nginx"]


@pytest.mark.parametrize("value", ["", "127.0.0.1", "127.0.0.1:http", ":5015"])
def test_a_replica_list_that_is_not_host_port_is_refused(env, value):
    with pytest.raises(ProfileError, match="RASA_REPLICAS"):
        replicas({**env, "RASA_REPLICAS": value}, "RASA_REPLICAS")


def test_nginx_accepts_the_config_it_is_given(env, tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.fail("nginx is not installed: `make nginx` (make test installs it)")
    conf = nginx_conf(env)
    assert "server 127.0.0.1:5015" in conf and "server 127.0.0.1:5066" in conf
    assert "listen 127.0.0.1:5005;" in conf and "listen 127.0.0.1:5055;" in conf
    (tmp_path / "tmp").mkdir()
    (tmp_path / "nginx.conf").write_text(conf)
    checked = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", "nginx.conf", "-e", "stderr"], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr


def test_honcho_sets_every_variable_the_scale_endpoints_and_credentials_read():
    # honcho's own .env parser: it drops `KEY=` lines, and Rasa refuses to start on an unset ${KEY}.
    from honcho.environ import parse

    given = {**parse((ROOT / "defaults.env").read_text()), **parse((ROOT / "scale.env").read_text())}
    read = set()
    for name in ("endpoints.scale.yml", "credentials.yml"):
        read |= set(re.findall(r"\$\{(\w+)\}", (ROOT / name).read_text()))
    assert read and sorted(read - set(given)) == []
    assert given["TRACKER_DB_PASSWORD"] == "" and given["SOCKET_TRANSPORTS"] == "websocket"


@pytest.fixture
def echo_replicas() -> Iterator[list[int]]:
    """Two upstream replicas that answer a POST with the length of its body and their own port."""

    class Echo(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = len(self.rfile.read(int(self.headers["Content-Length"])))
            body = json.dumps({"length": length, "replica": self.server.server_port}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    servers = [ThreadingHTTPServer(("127.0.0.1", 0), Echo) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield [server.server_port for server in servers]
    for server in servers:
        server.shutdown()


def test_nginx_passes_big_action_calls_to_every_replica_and_skips_a_dead_one(env, tmp_path, echo_replicas):
    # An action call carries the whole tracker and the domain: far over nginx's 16 KB in-memory default,
    # which made nginx write the body under var/ (0700) as user nobody: 500 on every action.
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    rasa_port, actions_port, dead = free_port(), free_port(), free_port()
    env = {
        **env,
        "RASA_PORT": str(rasa_port),
        "ACTIONS_PORT": str(actions_port),
        "RASA_REPLICAS": f"127.0.0.1:{dead}",
        "ACTIONS_REPLICAS": ",".join(f"127.0.0.1:{port}" for port in [*echo_replicas, dead]),
    }
    out = tmp_path / "scale"
    (out / "tmp").mkdir(parents=True)
    out.chmod(0o700)
    (out / "nginx.conf").write_text(nginx_conf(env))
    process = subprocess.Popen(
        [nginx, "-p", str(out), "-c", "nginx.conf", "-e", "stderr", "-g", "daemon off;"],
        stderr=subprocess.PIPE,
    )
    try:
        body = {"tracker": {"events": [{"event": "user", "text": "x" * 1000}] * 600}}  # about 0.6 MB
        answered = []
        deadline = time.monotonic() + 10
        while len(answered) < 6 and time.monotonic() < deadline:
            try:
                response = httpx.post(f"http://127.0.0.1:{actions_port}/webhook", json=body, timeout=5)
            except httpx.TransportError:
                time.sleep(0.1)  # nginx still starting
                continue
            assert response.status_code == 200, response.text
            answered.append(response.json())
        assert len(answered) == 6
        assert all(answer["length"] > 600_000 for answer in answered)
        assert {answer["replica"] for answer in answered} == set(echo_replicas)  # the dead one skipped
    finally:
        process.terminate()
        process.wait(timeout=10)
