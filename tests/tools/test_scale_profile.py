"""The production profile's files: the Procfile's own lines once per replica, and an nginx config that
nginx itself accepts."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tools.scale_profile import ProfileError, nginx_conf, procfile, read_env, replicas

ROOT = Path(__file__).parents[2]


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
    assert lines["rasa-2"] == f"export RASA_PORT=5016 RASA_LOG_FILE=var/rasa-2.log; {rasa[len('rasa: '):]}"
    assert lines["actions-1"].startswith("export ACTIONS_PORT=5065; .venv-rasa/bin/python -m actions.server")
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
