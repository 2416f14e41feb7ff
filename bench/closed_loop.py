"""Closed-loop load over REST: at one concurrency level, that many workers each play the script on a fresh
sender id every time it restarts, and send the next turn as soon as the last one is answered.

A warm-up is not recorded; the CPU each process uses over the measured seconds is read from /proc. The
sanity pass plays the script once before any load: errors fail it, off answers are warned about."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench.conversations import Level, Target, on_target, said
from bench.servers import tail

WARMUP_SECONDS = 3.0
TURN_TIMEOUT = 60.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a live process has used so far (/proc/<pid>/stat), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def cpu_over(processes: dict[str, int], start: float, end: float) -> dict[str, float]:
    """CPU seconds each process used between two `time.perf_counter()` instants (waits for both)."""
    await asyncio.sleep(max(0.0, start - time.perf_counter()))
    before = {name: cpu_seconds(pid) for name, pid in processes.items()}
    await asyncio.sleep(max(0.0, end - time.perf_counter()))
    return {name: cpu_seconds(pid) - before[name] for name, pid in processes.items()}


async def turn(http: httpx.AsyncClient, sender: str, text: str, metadata: dict[str, Any]) -> str | list[Any]:
    """One message; the JSON list of replies, or why it failed (a string)."""
    body = {"sender": sender, "message": text, "metadata": metadata}
    try:
        response = await http.post("/webhooks/rest/webhook", json=body)
    except httpx.HTTPError as error:
        return type(error).__name__
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    try:
        replies = response.json()
    except ValueError:
        return "invalid JSON"
    return replies if isinstance(replies, list) else "not a list"


async def converse(
    http: httpx.AsyncClient, target: Target, worker: int, measure_from: float, deadline: float, level: Level
) -> None:
    """Play the script again and again, a fresh sender each time, until the deadline."""
    while time.perf_counter() < deadline:
        sender = f"bench-{target.name}-{worker}-{uuid.uuid4().hex[:10]}"
        for text, expected in target.script:
            if time.perf_counter() >= deadline:
                return
            started = time.perf_counter()
            outcome = await turn(http, sender, text, target.metadata)
            if started >= measure_from:
                level.record(time.perf_counter() - started, outcome, text, expected)


async def run_level(target: Target, concurrency: int, seconds: float, warmup: float) -> Level:
    """Closed loop: `concurrency` conversations at once, a warm-up, then `seconds` measured."""
    level = Level(target.name, concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=target.service.url, timeout=TURN_TIMEOUT, limits=limits, trust_env=False
    ) as http:
        measure_from = time.perf_counter() + warmup
        deadline = measure_from + seconds
        processes = target.processes or {target.name: target.service.process.pid}
        cpu = asyncio.create_task(cpu_over(processes, measure_from, deadline))
        await asyncio.gather(
            *(converse(http, target, w, measure_from, deadline, level) for w in range(concurrency))
        )
        level.seconds = max(time.perf_counter(), deadline) - measure_from
        if level.latencies:
            level.cpu_ms = {n: round(s / len(level.latencies) * 1000, 1) for n, s in (await cpu).items()}
    if target.service.process.poll() is not None:
        raise RuntimeError(f"{target.service.name} died under load:\n{tail(target.service.log)}")
    return level


async def sanity_pass(target: Target) -> None:
    """The script once, one turn at a time, before any load: fail on errors, warn on off answers."""
    async with httpx.AsyncClient(base_url=target.service.url, timeout=TURN_TIMEOUT, trust_env=False) as http:
        sender = f"bench-{target.name}-sanity-{uuid.uuid4().hex[:10]}"
        for text, expected in target.script:
            outcome = await turn(http, sender, text, target.metadata)
            if isinstance(outcome, str):
                raise RuntimeError(f"{target.name}: {text!r} failed during the sanity pass: {outcome}")
            if not on_target(outcome, expected):
                print(f"WARNING: {target.name}: {text!r} -> {said(outcome)!r}, expected {expected!r}")
