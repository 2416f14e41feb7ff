"""What a reader gets: the diff of a failed case with its transcript, and JUnit XML for CI."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.conversation import Turn


@dataclass
class CaseResult:
    name: str
    file: Path
    seconds: float
    transcript: str
    failure: str | None = None  # the diff text of a mismatch
    error: str | None = None  # the stack misbehaved (refused, unreachable): not the conversation's fault
    summary: str = field(default="")  # one line for the JUnit message attribute

    @property
    def passed(self) -> bool:
        return self.failure is None and self.error is None


def transcript(turns: list[Turn]) -> str:
    """User and bot lines; buttons as [title]; each reply's response name in <>."""
    lines: list[str] = []
    for turn in turns:
        lines.append(f"  user: {turn.shown}")
        for reply in turn.replies:
            text_lines = reply.text.splitlines() or [""]
            lines.append(f"  bot:  {text_lines[0]}")
            lines.extend(f"        {line}" for line in text_lines[1:])
            if reply.buttons:
                lines.append("        " + " ".join(f"[{b.get('title')}]" for b in reply.buttons))
            if reply.utter_action:
                lines.append(f"        <{reply.utter_action}>")
        if not turn.replies:
            lines.append("  bot:  (nothing)")
    return "\n".join(lines) if lines else "  (nothing was said)"


def diff(name: str, file: Path, step: str, expected: str, got: str, said: str) -> str:
    return "\n".join(
        [
            f"FAILED {name}  ({file})",
            f"  step:     {step}",
            f"  expected: {_indent(expected)}",
            f"  got:      {_indent(got)}",
            "  transcript so far:",
            said,
        ]
    )


def _indent(text: str) -> str:
    return text.replace("\n", "\n            ")


def write_junit(results: list[CaseResult], path: Path, suite: str = "e2e") -> None:
    """One <testcase> a case (classname: its file), failures and errors as JUnit readers expect."""
    root = ET.Element("testsuites")
    element = ET.SubElement(
        root,
        "testsuite",
        name=suite,
        tests=str(len(results)),
        failures=str(sum(r.failure is not None for r in results)),
        errors=str(sum(r.error is not None for r in results)),
        time=f"{sum(r.seconds for r in results):.3f}",
    )
    for result in results:
        case = ET.SubElement(
            element,
            "testcase",
            classname=f"e2e.{result.file.stem}",
            name=result.name,
            file=str(result.file),
            time=f"{result.seconds:.3f}",
        )
        if result.failure is not None:
            ET.SubElement(case, "failure", message=result.summary).text = result.failure
        elif result.error is not None:
            ET.SubElement(case, "error", message=result.summary).text = result.error
        ET.SubElement(case, "system-out").text = result.transcript
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
