"""How the dependency audit asks the services: pip-audit over a Python lock file (PyPI's vulnerability data,
then OSV's), `npm audit` over package-lock.json, `uv pip compile` to tell whether a fix is upgradable,
and saved reports instead of the services (`--replay`, for testing).

A service that does not answer is "not checked" (the reason in `Result.reason`), never "clean"; a
tool that fails otherwise raises `AuditError`. Stdlib only (Python 3.11)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tools.audit.findings import NPM_LOCK, ROOT, AuditError, Result, Vuln, display, lock_packages

# Words in a tool's error output that mean "the service did not answer", not "the tool is broken".
NETWORK_ERROR = re.compile(
    r"ConnectionError|NameResolutionError|Name or service not known|Max retries exceeded|Timeout|"
    r"timed out|ServiceError|ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|"
    r"\b(403|404|405|407|429|500|502|503|504)\b",
    re.IGNORECASE,
)


def _vulns_of(audited: list[dict[str, Any]]) -> list[Vuln]:
    """The vulnerabilities of pip-audit's JSON `dependencies` entries that were audited."""
    return [
        Vuln(dep["name"], dep["version"], v["id"], v.get("aliases", []), v.get("fix_versions", []))
        for dep in audited
        for v in dep.get("vulns", [])
    ]


def short_reason(text: str) -> str:
    """One short phrase for a network failure found in a tool's error output."""
    host = re.search(r"Failed to resolve '([^']+)'", text)
    if host:
        return f"cannot resolve {host.group(1)}"
    status = re.search(r"\b(\d{3}) ([A-Z][A-Za-z ]+?)(?: - | for url|$)", text, re.MULTILINE)
    if status and status.group(1)[0] in "45":
        return f"HTTP {status.group(1)} {status.group(2).strip()}"
    if re.search(r"timed out|Timeout", text):
        return "timed out"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return (lines[-1] if lines else "no answer")[:160]


def run_pip_audit(lock: str, service: str, timeout: int) -> tuple[dict[str, Any] | None, str]:
    """pip-audit's JSON report, or None and the reason it could not produce one."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        cmd = [
            sys.executable, "-m", "pip_audit", "-r", str(ROOT / lock), "--no-deps", "--disable-pip",
            "-s", service, "-f", "json", "-o", str(out), "--aliases", "on", "--desc", "off",
            "--progress-spinner", "off", "--timeout", str(timeout),
        ]  # fmt: skip
        try:
            proc = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
                cmd, capture_output=True, text=True, timeout=timeout * 20, cwd=ROOT
            )
        except subprocess.TimeoutExpired:
            return None, f"no answer within {timeout * 20} s"
        if out.exists() and out.stat().st_size:
            return json.loads(out.read_text(encoding="utf-8")), ""
        tail = [line for line in proc.stderr.strip().splitlines() if line.strip()][-1:] or ["no output"]
        if NETWORK_ERROR.search(proc.stderr):
            return None, short_reason(proc.stderr)
        raise AuditError(f"pip-audit -s {service} on {lock} failed (exit {proc.returncode}): {tail[0]}")


def audit_python_lock(lock: str, timeout: int) -> Result:
    result = Result("PyPI", lock, len(lock_packages(ROOT / lock)))
    reasons = []
    for service in ("pypi", "osv"):
        report, why = run_pip_audit(lock, service, timeout)
        if report is None:
            reasons.append(f"{service}: {why}")
            continue
        deps = report.get("dependencies", [])
        audited = [d for d in deps if "skip_reason" not in d]
        if deps and not audited:
            # PyPI answers 404 for every version when its per-version JSON (which carries the
            # vulnerability data) is not served: pip-audit then skips every package and says
            # "No known vulnerabilities found". That is "not checked", not "clean".
            reasons.append(f"{service}: 'not found' for all {len(deps)} pinned versions")
            continue
        result.service = service
        result.scanned = len(audited)
        result.not_audited = [d["name"] for d in deps if "skip_reason" in d]
        result.vulns.extend(_vulns_of(audited))
        return result
    result.reason = "; ".join(reasons)
    return result


def audit_npm(timeout: int) -> Result:
    lock = json.loads((ROOT / NPM_LOCK).read_text(encoding="utf-8"))
    result = Result("npm", NPM_LOCK, sum(1 for key in lock.get("packages", {}) if key))
    npm = shutil.which("npm")
    if npm is None:
        raise AuditError("npm is not on PATH")
    cmd = [
        npm,
        "audit",
        "--json",
        "--package-lock-only",
        "--fetch-retries=1",
        f"--fetch-timeout={timeout * 1000}",
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout * 8, cwd=ROOT)  # noqa: S603
    except subprocess.TimeoutExpired:
        result.reason = f"no answer within {timeout * 8} s"
        return result
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        report = {}
    if "auditReportVersion" not in report:
        message = str(report.get("message") or report.get("error") or proc.stderr.strip() or "no report")
        if NETWORK_ERROR.search(message) or NETWORK_ERROR.search(proc.stderr):
            request = re.search(r"(GET|POST) (\S+)", message)
            result.reason = short_reason(message) + (
                f" on {request.group(1)} {request.group(2)}" if request else ""
            )
            return result
        raise AuditError(f"npm audit failed (exit {proc.returncode}): {message.splitlines()[0][:300]}")
    result.service = "npm registry"
    result.scanned = report.get("metadata", {}).get("dependencies", {}).get("total", result.in_lock)
    versions = {
        key.rsplit("node_modules/", 1)[-1]: p.get("version", "?") for key, p in lock["packages"].items()
    }
    seen: set[tuple[str, str]] = set()
    for package, entry in report.get("vulnerabilities", {}).items():
        for via in entry.get("via", []):
            if not isinstance(via, dict):
                continue  # vulnerable only through another package, which is listed on its own
            url = str(via.get("url", ""))
            ghsa = re.search(r"GHSA(-[23456789cfghjmpqrvwx]{4}){3}", url)
            vuln_id = ghsa.group(0) if ghsa else f"NPM-{via.get('source')}"
            name = str(via.get("name") or package)
            if (name, vuln_id) in seen:
                continue
            seen.add((name, vuln_id))
            fix = entry.get("fixAvailable")
            fixed = [f"{fix['name']}@{fix['version']}"] if isinstance(fix, dict) else (["yes"] if fix else [])
            result.vulns.append(
                Vuln(
                    name,
                    versions.get(name, "?"),
                    vuln_id,
                    [],
                    fixed,
                    f"{via.get('range', '')} {via.get('title', '')}",
                )
            )
    return result


def upgrade_check(lock: str, vuln: Vuln, timeout: int) -> str:
    """Whether `package>=fixed` resolves together with the lock's .in file (uv pip compile)."""
    uv = ROOT / ".venv-tools/bin/uv"
    source = ROOT / lock.replace(".lock", ".in")
    header = (ROOT / lock).read_text(encoding="utf-8")[:400]
    python = re.search(r"--python-version\s+(\S+)", header)
    if not uv.exists() or not source.exists() or not vuln.fixed:
        return "upgrade not checked"
    fixed = sorted(vuln.fixed, key=lambda v: [int(n) if n.isdigit() else 0 for n in re.split(r"[.+-]", v)])[0]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as constraint:
        constraint.write(f"{vuln.package}>={fixed}\n")
    try:
        cmd = [
            str(uv),
            "pip",
            "compile",
            "-q",
            "--no-header",
            str(source),
            "-c",
            constraint.name,
            "-o",
            os.devnull,
        ]
        if python:
            cmd[3:3] = ["--python-version", python.group(1)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout * 10, cwd=ROOT)  # noqa: S603
    except subprocess.TimeoutExpired:
        return "upgrade not checked (uv pip compile timed out)"
    finally:
        os.unlink(constraint.name)
    if proc.returncode == 0:
        return f"UPGRADABLE: {vuln.package}>={fixed} resolves with {display(source)}"
    cause = " ".join(
        line.strip() for line in proc.stderr.splitlines() if line.strip() and "error:" not in line
    )
    cause = re.sub(r"^cause:\s*", "", cause) or "see uv pip compile"
    return f"blocked: {vuln.package}>={fixed} does not resolve ({cause[:240]})"


def load_replay(replay: Path, results: list[Result]) -> None:
    """Testing aid: read saved pip-audit / npm audit JSON reports instead of asking the services."""
    for result in results:
        path = replay / (Path(result.lock).name + ".json")
        if not path.exists():
            result.reason = "no saved report"
            continue
        report = json.loads(path.read_text(encoding="utf-8"))
        if result.ecosystem == "npm":
            result.service = "replay"
            for v in report.get("vulns", []):
                result.vulns.append(
                    Vuln(v["name"], v["version"], v["id"], v.get("aliases", []), v.get("fixed", []))
                )
            result.scanned = result.in_lock
            continue
        deps = report.get("dependencies", [])
        audited = [d for d in deps if "skip_reason" not in d]
        result.service, result.scanned = "replay", len(audited)
        result.not_audited = [d["name"] for d in deps if "skip_reason" in d]
        result.vulns.extend(_vulns_of(audited))
