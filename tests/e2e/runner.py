"""Runs the end-to-end cases of YAML files against the live stack; a diff at the first mismatch of a case.

    .venv-rasa/bin/python -m tests.e2e.runner tests/e2e/cases [--junit results/e2e.xml] [-k NAME]
    .venv-rasa/bin/python -m tests.e2e.runner tests/e2e/cases --rasa-url http://127.0.0.1:5005 \\
        --billing-url http://127.0.0.1:8081 --web-url http://127.0.0.1:8080     # a `make run` stack

Exit status: 0 every case passed, 1 a case failed, 2 the case files (or the stack) could not be used.
Case format: tests/e2e/README.md.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from tests.e2e.case_format import Case, CaseFileError, load_cases
from tests.e2e.conversation import Conversation, StepFailed
from tests.e2e.report import CaseResult, diff, transcript, write_junit
from tests.e2e.transport import Transport, TransportError, own_stack, running_stack

__all__ = ["CaseFileError", "load_cases", "main", "run_case", "run_cases", "select", "write_junit"]


def run_case(case: Case, transport: Transport) -> CaseResult:
    """Plays `case` from fresh demo data; a mismatch is a failure, a misbehaving stack an error."""
    conversation = Conversation(case, transport)
    started = time.monotonic()
    failure = error = None
    summary = ""
    try:
        conversation.play()
    except StepFailed as mismatch:
        summary = f"{mismatch.step}: expected {mismatch.expected.splitlines()[0]}"
        failure = diff(case.name, case.file, mismatch.step, mismatch.expected, mismatch.got,
                       transcript(conversation.turns))
    except TransportError as problem:
        summary = str(problem).splitlines()[0]
        error = "\n".join([f"ERROR {case.name}  ({case.file})", f"  {problem}", "  transcript so far:",
                           transcript(conversation.turns)])
    return CaseResult(case.name, case.file, time.monotonic() - started, transcript(conversation.turns),
                      failure, error, summary)


def run_cases(
    cases: list[Case], transport: Transport, report: Callable[[CaseResult], None] = lambda _: None
) -> list[CaseResult]:
    results = []
    for case in cases:
        results.append(run_case(case, transport))
        report(results[-1])
    return results


def select(cases: list[Case], keywords: list[str]) -> list[Case]:
    """The cases whose name holds one of the keywords (all cases without keywords)."""
    return [c for c in cases if not keywords or any(k in c.name for k in keywords)]


def print_result(result: CaseResult) -> None:
    if result.passed:
        print(f"PASSED {result.name}  ({result.seconds:.1f}s)", flush=True)
    else:
        print(f"\n{result.failure or result.error}\n", flush=True)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.e2e.runner", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("paths", nargs="+", type=Path, help="case files, or directories of *.yml")
    parser.add_argument("--junit", type=Path, help="write JUnit XML here (e.g. results/e2e.xml)")
    parser.add_argument("-k", dest="keywords", action="append", default=[], metavar="NAME",
                        help="only the cases whose name contains NAME (repeatable)")
    parser.add_argument("--rasa-url", help="use a running `make run` stack instead of starting one")
    parser.add_argument("--billing-url", default="http://127.0.0.1:8081", help="with --rasa-url")
    parser.add_argument("--web-url", default="http://127.0.0.1:8080",
                        help="with --rasa-url: the portal, whose demo sign-in gives the user tokens")
    parser.add_argument("--no-reset", action="store_true",
                        help="with --rasa-url: keep the stack's billing data (no demo-data reset per case)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    try:
        cases = select(load_cases(args.paths), args.keywords)
    except CaseFileError as problem:
        print(f"case file error: {problem}", file=sys.stderr)
        return 2
    if not cases:
        print(f"no case matches -k {' -k '.join(args.keywords)}", file=sys.stderr)
        return 2
    workdir = None
    stack: AbstractContextManager[Transport]
    if args.rasa_url:
        print(f"{len(cases)} case(s) against {args.rasa_url}", flush=True)
        stack = running_stack(args.rasa_url, args.billing_url, args.web_url, reset=not args.no_reset)
    else:
        print(f"{len(cases)} case(s); starting the stack (about a minute)", flush=True)
        workdir = Path(tempfile.mkdtemp(prefix="e2e-stack-"))  # its stores and logs
        stack = own_stack(workdir)
    try:
        with stack as transport:
            results = run_cases(cases, transport, print_result)
    except (TransportError, RuntimeError) as problem:
        print(f"the stack could not be used: {problem}", file=sys.stderr)
        if workdir:
            print(f"stack logs: {workdir}", file=sys.stderr)
        return 2
    failed = [r.name for r in results if not r.passed]
    if args.junit:
        write_junit(results, args.junit)
    print(f"\n{len(results) - len(failed)} passed, {len(failed)} failed" + (": " if failed else "")
          + ", ".join(failed))
    if args.junit:
        print(f"JUnit XML: {args.junit}")
    if workdir and failed:
        print(f"stack logs: {workdir}")
    elif workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
