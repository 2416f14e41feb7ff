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
import sys
import time
from pathlib import Path

# Run as a script, only tools/ is on sys.path: the project root makes `tools.audit` importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.audit.findings import (
    ALLOWLIST,
    NPM_LOCK,
    PY_LOCKS,
    ROOT,
    AuditError,
    Result,
    Vuln,
    apply_allowlist,
    lock_packages,
    read_allowlist,
)
from tools.audit.scans import audit_npm, audit_python_lock, load_replay, upgrade_check

UNREACHABLE = "vulnerability service unreachable, not checked"
MAX_UPGRADE_CHECKS = 10  # uv pip compile takes 10-20 s each


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


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
