"""One Rasa replica against two behind nginx, both on PostgreSQL, Redis and RabbitMQ, over REST.

Run from the project root (PostgreSQL, Redis and RabbitMQ of the machine, as `make run-scale`):

    .venv-rasa/bin/python -m bench.replicas [--seconds 20] [--levels 1,10,50]

Billing on a throwaway PostgreSQL database, one action server per replica, and Rasa replicas on the
scale-out endpoints (PostgreSQL tracker store, our Redis lock store, RabbitMQ broker on a throwaway
queue), each started from its Procfile line; nginx in front with the config `make run-scale` writes.
"one" is a single replica through nginx, "two" both replicas through nginx; the same script as
bench/conversation_latency.py, closed loop, every turn carrying a token minted for alice@contoso.com.
It prints turns/s and latency per level and configuration, and the ratio two/one; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

from bench.closed_loop import WARMUP_SECONDS, run_level, sanity_pass
from bench.conversation_latency import checked
from bench.conversations import OURS_SCRIPT, USER, Level, Target
from bench.servers import BENCH_DIR, MODEL, peak_rss_mib
from tests.support.scale import (
    create_tracker_tables,
    drain_queue,
    new_queue_name,
    postgres_database,
    scale_settings,
)
from tests.support.stack import (
    ROOT,
    Service,
    action_server,
    billing_service,
    free_port,
    mint_token,
    rasa_server,
)
from tools.scale_profile import nginx_conf, read_env

NGINX = "/usr/sbin/nginx"
RESULTS = BENCH_DIR / "replicas.json"
PROFILE_DIR = BENCH_DIR / "replicas"


@contextmanager
def nginx(workdir: Path, rasa: list[Service], actions: list[Service]) -> Iterator[Service]:
    """nginx with the profile's config in front of these replicas; the Service is its Rasa side."""
    port = free_port()
    env = {
        **read_env(environ={}),
        "RASA_PORT": str(port),
        "ACTIONS_PORT": str(free_port()),
        "RASA_REPLICAS": ",".join(r.url.removeprefix("http://") for r in rasa),
        "ACTIONS_REPLICAS": ",".join(a.url.removeprefix("http://") for a in actions),
    }
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "tmp").mkdir(exist_ok=True)
    (workdir / "nginx.conf").write_text(nginx_conf(env))
    log = workdir / "nginx.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [NGINX, "-p", str(workdir), "-c", "nginx.conf", "-e", "stderr", "-g", "daemon off;"], stderr=out
        )
    service = Service("nginx", f"http://127.0.0.1:{port}", process, log)
    try:
        yield service
    finally:
        service.stop()


@contextmanager
def profile(replicas: int) -> Iterator[tuple[list[Service], list[Service], str]]:
    """Billing, and an action server and a Rasa replica `replicas` times; yields (rasa replicas, action
    servers, billing database url)."""
    PROFILE_DIR.mkdir(parents=True, exist_ok=True)
    with ExitStack() as started:
        billing_db = started.enter_context(postgres_database("bench_billing"))
        tracker_db = started.enter_context(postgres_database("bench_tracker"))
        queue = new_queue_name()
        started.callback(drain_queue, queue)
        create_tracker_tables(tracker_db)
        database_url = f"postgresql://postgres@127.0.0.1:5432/{billing_db}"
        billing, _ = started.enter_context(billing_service(PROFILE_DIR, database_url=database_url))
        actions, managers = [], []
        for n in range(replicas):  # each replica with its own action server, as a sidecar
            for part in (f"actions-{n}", f"rasa-{n}"):
                (PROFILE_DIR / part).mkdir(parents=True, exist_ok=True)
            actions.append(started.enter_context(action_server(PROFILE_DIR / f"actions-{n}", billing.url)))
            settings = scale_settings(tracker_db, queue)
            workdir = PROFILE_DIR / f"rasa-{n}"
            managers.append(rasa_server(workdir, MODEL, actions[n].url, billing.url, **settings))
        with ThreadPoolExecutor(replicas) as pool:
            rasa = list(pool.map(lambda manager: manager.__enter__(), managers))
        for manager in managers:
            started.push(manager)
        yield rasa, actions, database_url


def bench(args: argparse.Namespace) -> None:
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    results: dict[str, dict[int, Level]] = {}
    rss: dict[str, float | None] = {}
    print("starting billing, two action servers and two Rasa replicas on PostgreSQL, Redis, RabbitMQ ...")
    with profile(2) as (rasa, actions, database_url):
        token = mint_token(database_url, USER)
        configurations = {"one": 1, "two": 2}
        for name, count in configurations.items():
            with nginx(PROFILE_DIR / f"nginx-{name}", rasa[:count], actions[:count]) as balancer:
                target = Target(name, balancer, OURS_SCRIPT, {"token": token})
                asyncio.run(sanity_pass(target))
                for concurrency in args.levels:
                    level = asyncio.run(run_level(target, concurrency, args.seconds, WARMUP_SECONDS))
                    results.setdefault(name, {})[concurrency] = level
                    print(
                        f"  {name} replica(s) C={concurrency:<3} {level.turns_per_second:7.1f} t/s"
                        f"  p50 {level.ms(50):6.0f} ms  p95 {level.ms(95):6.0f} ms"
                        f"  errors {sum(level.errors.values())}  off {level.off}"
                    )
        rss = {f"rasa-{n + 1}": peak_rss_mib(r) for n, r in enumerate(rasa)}
    print("\nconversations | one: t/s  p95 ms | two: t/s  p95 ms | two/one")
    rows = []
    for concurrency in args.levels:
        one, two = results["one"][concurrency], results["two"][concurrency]
        ratio = two.turns_per_second / one.turns_per_second if one.turns_per_second else float("nan")
        print(
            f"{concurrency:>13} | {one.turns_per_second:8.1f} {one.ms(95):7.0f} | {two.turns_per_second:8.1f}"
            f" {two.ms(95):7.0f} | {ratio:6.2f}x"
        )
        rows.append({"concurrency": concurrency, "one": one.summary(), "two": two.summary(), "ratio": ratio})
    print("peak RSS: " + ", ".join(f"{name} {mib:.0f} MiB" for name, mib in rss.items() if mib))
    figures = {"cpus": os.cpu_count(), "levels": rows, "peak_rss_mib": rss}
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"figures: {RESULTS.relative_to(ROOT)}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.replicas", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per level")
    parser.add_argument("--levels", default="1,10,50", help="comma-separated concurrent conversations")
    return checked(parser, parser.parse_args(argv))


def main(argv: list[str] | None = None) -> int:
    bench(parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
