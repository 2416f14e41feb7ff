"""The production profile on one machine: what `make run-scale` starts.

    .venv-svc/bin/python tools/scale_profile.py prepare [--out var/scale]

Reads the settings as honcho will (defaults.env, then scale.env, then .env, then the environment), checks
that PostgreSQL, Redis and RabbitMQ answer (saying how to get the one that does not), creates the
billing, web and tracker databases when they do not exist, and writes into `--out`:
- `Procfile`: the lines of the project's Procfile (the one definition `make run` starts), with `rasa` and
  `actions` once per replica on the ports of RASA_REPLICAS and ACTIONS_REPLICAS, and nginx;
- `nginx.conf`: nginx in front of them on RASA_PORT and ACTIONS_PORT, round robin (the Redis lock store
  lets any replica take any message; a replica that refuses connections is skipped).
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
ENV_FILES = ("defaults.env", "scale.env", ".env")
SERVICES = {
    "PostgreSQL": "apt-get install postgresql",
    "Redis": "apt-get install redis-server",
    "RabbitMQ": "apt-get install rabbitmq-server",
}


class ProfileError(Exception):
    """A setting or a service the profile needs is missing: the message says which and what to do."""


def read_env(root: Path = ROOT, environ: dict[str, str] | None = None) -> dict[str, str]:
    values: dict[str, str] = {}
    for name in ENV_FILES:
        path = root / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                values[key.strip()] = value.strip().strip("'\"")
    values.update(os.environ if environ is None else environ)
    return values


def replicas(env: dict[str, str], name: str) -> list[tuple[str, int]]:
    """`host:port,host:port` → [(host, port), ...]; at least one, each port a number."""
    listed = [item.strip() for item in env.get(name, "").split(",") if item.strip()]
    if not listed:
        raise ProfileError(f"{name} is empty: list the replicas as host:port,host:port (scale.env)")
    found = []
    for item in listed:
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit():
            raise ProfileError(f"{name}: {item!r} is not host:port")
        found.append((host, int(port)))
    return found


def require(env: dict[str, str], *names: str) -> None:
    missing = [name for name in names if not env.get(name)]
    if missing:
        raise ProfileError(f"not set: {', '.join(missing)} (scale.env or the environment)")


def reachable(service: str, host: str, port: int) -> None:
    try:
        socket.create_connection((host, port), timeout=3).close()
    except OSError as error:
        raise ProfileError(
            f"{service} does not answer on {host}:{port} ({error.strerror or error}). "
            f"On Debian: `{SERVICES[service]}`, then start it."
        ) from None


def ensure_database(url: str) -> None:
    """CREATE DATABASE for the URL's database when it does not exist (connecting to `postgres`)."""
    import psycopg  # the services' environment; the rest of this module is imported by the Rasa one too
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name:
        raise ProfileError(f"no database name in {url!r}")
    admin = parts._replace(scheme="postgresql", path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created PostgreSQL database {name}")


def tracker_url(env: dict[str, str]) -> str:
    user = env.get("TRACKER_DB_USER", "")
    password = env.get("TRACKER_DB_PASSWORD", "")
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    return f"postgresql://{credentials}{env['TRACKER_DB_HOST']}:5432/{env['TRACKER_DB']}"


def procfile(env: dict[str, str], out: Path, root: Path = ROOT) -> str:
    lines = dict(
        (name.strip(), command.strip())
        for name, command in (
            line.split(":", 1) for line in (root / "Procfile").read_text().splitlines() if ":" in line
        )
    )
    rendered = [f"billing: {lines['billing']}", f"web: {lines['web']}"]
    for n, (_, port) in enumerate(replicas(env, "ACTIONS_REPLICAS"), 1):
        rendered.append(f"actions-{n}: export ACTIONS_PORT={port}; exec {lines['actions']}")
    for n, (_, port) in enumerate(replicas(env, "RASA_REPLICAS"), 1):
        settings = f"RASA_PORT={port} RASA_LOG_FILE=var/rasa-{n}.log"
        rendered.append(f"rasa-{n}: export {settings}; exec {lines['rasa']}")
    rendered.append(f"nginx: nginx -p {out.resolve()} -c nginx.conf -e stderr -g 'daemon off;'")
    return "\n".join(rendered) + "\n"


def nginx_conf(env: dict[str, str]) -> str:
    def upstream(name: str, servers: list[tuple[str, int]]) -> str:
        listed = "\n".join(f"    server {host}:{port} max_fails=1 fail_timeout=5s;" for host, port in servers)
        return f"  upstream {name} {{\n{listed}\n    keepalive 32;\n  }}\n"

    def proxy(port: str, name: str, extra: str = "") -> str:
        return f"""  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://{name};
      proxy_http_version 1.1;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 300s;
      # Bodies and answers pass through memory: the workers (user nobody) cannot write under var/.
      proxy_request_buffering off;
      proxy_buffering off;
      proxy_next_upstream error timeout http_502;{extra}
    }}
  }}
"""

    return (
        "# Generated by tools/scale_profile.py from scale.env: do not edit.\n"
        "worker_processes 1;\npid nginx.pid;\nerror_log stderr warn;\n"
        "events { worker_connections 4096; }\n"
        "http {\n  access_log off;\n  client_max_body_size 8m;\n  client_body_buffer_size 8m;\n"
        "  client_body_temp_path tmp/body;\n  proxy_temp_path tmp/proxy;\n  fastcgi_temp_path tmp/fastcgi;\n"
        "  uwsgi_temp_path tmp/uwsgi;\n  scgi_temp_path tmp/scgi;\n"
        "  map $http_upgrade $connection_upgrade { default upgrade; '' ''; }\n"
        + upstream("rasa", replicas(env, "RASA_REPLICAS"))
        + upstream("actions", replicas(env, "ACTIONS_REPLICAS"))
        + proxy(env["RASA_PORT"], "rasa")
        + proxy(env["ACTIONS_PORT"], "actions")
        + "}\n"
    )


def prepare(out: Path, env: dict[str, str]) -> None:
    require(
        env, "DATABASE_URL", "WEB_DATABASE_URL", "TRACKER_DB_HOST", "TRACKER_DB", "REDIS_HOST",
        "RABBITMQ_HOST", "RASA_PORT", "ACTIONS_PORT",
    )
    for name in ("DATABASE_URL", "WEB_DATABASE_URL"):
        if not env[name].startswith("postgresql"):
            raise ProfileError(f"{name} must be a postgresql:// URL in the production profile")
    reachable("PostgreSQL", env["TRACKER_DB_HOST"], 5432)
    reachable("Redis", env["REDIS_HOST"], 6379)
    reachable("RabbitMQ", env["RABBITMQ_HOST"], 5672)
    for url in (env["DATABASE_URL"], env["WEB_DATABASE_URL"], tracker_url(env)):
        ensure_database(url)
    (out / "tmp").mkdir(parents=True, exist_ok=True)
    (out / "nginx.conf").write_text(nginx_conf(env))
    (out / "Procfile").write_text(procfile(env, out))
    print(f"production profile written to {out}/ (Procfile, nginx.conf)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("prepare", help="check the services, create the databases, write the files")
    command.add_argument("--out", type=Path, default=ROOT / "var" / "scale")
    args = parser.parse_args()
    import psycopg

    try:
        prepare(args.out, read_env())
    except (ProfileError, psycopg.Error) as error:
        print(f"production profile: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
