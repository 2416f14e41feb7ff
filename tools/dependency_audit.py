"""Dependency audit for `make test`: known vulnerabilities in the lock files.

Usage: .venv-tools/bin/python tools/dependency_audit.py [--require-service] [--no-upgrade-check]

- Python: pip-audit (installed in the tools venv) over requirements/rasa.lock and requirements/svc.lock,
  pinned versions as written (`--no-deps --disable-pip`, nothing is installed). It asks PyPI's
  vulnerability data first (`-s pypi`), then OSV (`-s osv`) if PyPI cannot answer.
- JavaScript: `npm audit --json --package-lock-only` over package-lock.json.

Exit status:
  0  nothing failing: every known vulnerability either has no fixed version yet or is allow-listed,
     or a vulnerability service could not be reached (said so on stdout, "not checked"; with
     --require-service an unchecked lock file fails instead);
  1  a known vulnerability that has a fixed version and is not in requirements/audit-allowlist.txt;
  2  the audit itself could not run (pip-audit or npm missing, a malformed allow-list, a tool error).

The allow-list holds one line per vulnerability: `package VULN-ID  # why it is acceptable`. The ID may be
any of the advisory's names (PYSEC-..., GHSA-..., CVE-...). For each failing Python vulnerability the
script tries `uv pip compile` of the lock's .in file with `package>=fixed`, to tell whether the upgrade
fits Rasa 3.6.21's declared requirements ("upgradable") or not ("blocked").

Stdlib only (Python 3.11): the tools venv holds pip-audit and uv, nothing else is imported.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY_LOCKS = ("requirements/rasa.lock", "requirements/svc.lock")
NPM_LOCK = "package-lock.json"
ALLOWLIST = "requirements/audit-allowlist.txt"
UNREACHABLE = "vulnerability service unreachable, not checked"
MAX_UPGRADE_CHECKS = 10  # uv pip compile takes 10-20 s each
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


def display(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def canonical(name: str) -> str:
    """PEP 503 form, used for Python and npm names alike (both sides of every comparison)."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Vuln:
    package: str
    version: str
    id: str
    aliases: list[str]
    fixed: list[str]
    title: str = ""
    allowed_by: str | None = None  # the allow-list reason, when it matched

    @property
    def names(self) -> set[str]:
        return {self.id.upper(), *(a.upper() for a in self.aliases)}


@dataclass
class Result:
    ecosystem: str
    lock: str
    in_lock: int
    scanned: int = 0
    service: str | None = None  # which service answered; None: not checked
    reason: str = ""  # why it was not checked
    vulns: list[Vuln] = field(default_factory=list)
    not_audited: list[str] = field(default_factory=list)  # packages the service had no entry for


@dataclass
class AllowEntry:
    package: str
    vuln_id: str
    reason: str
    line: int
    used: bool = False


class AuditError(Exception):
    """The audit could not run: exit 2."""


# --- allow-list -------------------------------------------------------------------------------------


def read_allowlist(path: Path) -> list[AllowEntry]:
    if not path.exists():
        return []
    entries: list[AllowEntry] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text, _, reason = raw.partition("#")
        if not text.strip():
            continue  # a comment or an empty line
        words = text.split()
        if len(words) != 2 or not reason.strip():
            raise AuditError(
                f"{display(path)}:{number}: expected `package VULN-ID  # why it is acceptable`, "
                f"got: {raw.strip()}"
            )
        entries.append(AllowEntry(canonical(words[0]), words[1].upper(), reason.strip(), number))
    return entries


def apply_allowlist(results: list[Result], entries: list[AllowEntry]) -> None:
    for result in results:
        for vuln in result.vulns:
            for entry in entries:
                if entry.package == canonical(vuln.package) and entry.vuln_id in vuln.names:
                    vuln.allowed_by = entry.reason
                    entry.used = True
                    break


# --- Python: pip-audit ------------------------------------------------------------------------------


def lock_packages(lock: Path) -> list[str]:
    names = []
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==", line)
        if match:
            names.append(match.group(1))
    return names


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


# --- JavaScript: npm audit --------------------------------------------------------------------------


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


# --- upgrade check ----------------------------------------------------------------------------------


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


# --- report -----------------------------------------------------------------------------------------


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--require-service", action="store_true", help="an unchecked lock file fails (exit 1)"
    )
    parser.add_argument(
        "--no-upgrade-check", action="store_true", help="skip uv pip compile for failing ones"
    )
    parser.add_argument("--timeout", type=int, default=15, help="socket timeout in seconds (default 15)")
    parser.add_argument("--allowlist", default=ALLOWLIST, help=f"default {ALLOWLIST}")
    parser.add_argument("--replay", type=Path, help=argparse.SUPPRESS)  # saved reports, for testing
    args = parser.parse_args()
    started = time.monotonic()
    try:
        allowlist = read_allowlist(ROOT / args.allowlist)
        if args.replay:
            results = [Result("PyPI", lock, len(lock_packages(ROOT / lock))) for lock in PY_LOCKS]
            npm_lock = json.loads((ROOT / NPM_LOCK).read_text(encoding="utf-8"))
            results.append(Result("npm", NPM_LOCK, sum(1 for key in npm_lock.get("packages", {}) if key)))
            load_replay(args.replay, results)
        else:
            if importlib.util.find_spec("pip_audit") is None:
                raise AuditError(
                    f"pip-audit is not installed for {sys.executable}: "
                    "`.venv-tools/bin/uv pip install --python .venv-tools/bin/python pip-audit==2.10.1`"
                )
            with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
                jobs = [pool.submit(audit_python_lock, lock, args.timeout) for lock in PY_LOCKS]
                jobs.append(pool.submit(audit_npm, args.timeout))
                results = [job.result() for job in jobs]
    except AuditError as error:
        print(f"dependency audit: ERROR: {error}")
        return 2
    apply_allowlist(results, allowlist)

    for r in results:
        tool = "pip-audit" if r.ecosystem == "PyPI" else "npm audit"
        if r.service is None:
            print(f"{tool}: {UNREACHABLE} ({r.lock}: {r.reason})")
        elif r.not_audited:
            print(
                f"{tool}: {r.lock}: not checked, unknown to the service: {', '.join(sorted(r.not_audited))}"
            )

    rows = [["ecosystem", "lock file", "packages scanned", "vulnerabilities", "fixable", "allow-listed",
             "failing", "service"]]  # fmt: skip
    failing: list[tuple[Result, Vuln]] = []
    for r in results:
        if r.service is None:
            rows.append(
                [r.ecosystem, r.lock, f"0 of {r.in_lock}", "-", "-", "-", "-", "NOT CHECKED (unreachable)"]
            )
            continue
        fixable = [v for v in r.vulns if v.fixed]
        bad = [v for v in fixable if v.allowed_by is None]
        failing += [(r, v) for v in bad]
        rows.append([
            r.ecosystem, r.lock, f"{r.scanned} of {r.in_lock}", str(len(r.vulns)), str(len(fixable)),
            str(sum(v.allowed_by is not None for v in r.vulns)), str(len(bad)), r.service,
        ])  # fmt: skip
    print()
    print(table(rows))
    print()

    for r in results:
        for v in r.vulns:
            if v.allowed_by is not None:
                print(f"allow-listed: {v.package} {v.version} {v.id}: {v.allowed_by}")
            elif not v.fixed:
                print(f"no fix yet (not failing): {v.package} {v.version} {' '.join([v.id, *v.aliases])}")
    checks: dict[int, concurrent.futures.Future[str]] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        for n, (r, v) in enumerate(failing):
            if r.ecosystem == "PyPI" and not args.no_upgrade_check and len(checks) < MAX_UPGRADE_CHECKS:
                checks[n] = pool.submit(upgrade_check, r.lock, v, args.timeout)
        for n, (r, v) in enumerate(failing):
            names = " ".join([v.id, *v.aliases])
            line = f"FAILING: {r.lock}: {v.package} {v.version} {names} (fixed in {', '.join(v.fixed)})"
            print(line + (f" -> {checks[n].result()}" if n in checks else ""))
    unused = [entry for entry in allowlist if not entry.used]
    if unused and all(r.service is not None for r in results):
        print(
            f"note: {len(unused)} {args.allowlist} entries matched nothing (fixed, or not affecting these "
            f"versions; remove them?): " + ", ".join(f"{e.package} {e.vuln_id}" for e in unused)
        )

    unchecked = [r.lock for r in results if r.service is None]
    elapsed = time.monotonic() - started
    if failing:
        plural = "y" if len(failing) == 1 else "ies"
        verdict, status = f"FAILED: {len(failing)} fixable vulnerabilit{plural} not in the allow-list", 1
    elif unchecked and args.require_service:
        verdict, status = f"FAILED: not checked ({', '.join(unchecked)}) and --require-service was given", 1
    elif unchecked:
        verdict, status = (
            f"passed, but NOT CHECKED: {', '.join(unchecked)} (vulnerability service unreachable)",
            0,
        )
    else:
        verdict, status = "passed: no fixable vulnerability outside the allow-list", 0
    print(f"dependency audit {verdict} ({elapsed:.1f} s)")
    return status


if __name__ == "__main__":
    sys.exit(main())
