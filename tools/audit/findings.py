"""The lock files of the dependency audit, what it finds in them, and the allow-list.

A `Result` per lock file (which service answered, how many packages it scanned, its `Vuln`s); the
allow-list (requirements/audit-allowlist.txt) holds one line per accepted vulnerability,
`package VULN-ID  # why it is acceptable`, matched on any of the advisory's names. `AuditError`: the
audit itself could not run (exit 2). Stdlib only (Python 3.11)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PY_LOCKS = ("requirements/rasa.lock", "requirements/svc.lock")
NPM_LOCK = "package-lock.json"
ALLOWLIST = "requirements/audit-allowlist.txt"


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


def lock_packages(lock: Path) -> list[str]:
    names = []
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==", line)
        if match:
            names.append(match.group(1))
    return names


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
