"""A pytest run in a copy of the project, as the mutation checks (check_catches, check_iam) read it: whether it
passed, and if not, the first failing test and the end of what pytest printed."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.MULTILINE)  # pytest -rfE's summary line
REPORTED_LINES = 60  # of a failed run's output: its traceback's end and the summary


@dataclass(frozen=True)
class PytestRun:
    failed: str | None  # None: every test passed; else the first failing test's node id ("" if pytest names none)
    report: str  # the end of pytest's output, when it failed


def run_pytest(project: Path, arguments: list[str], environment: dict[str, str] | None = None) -> PytestRun:
    """`pytest -x -q -rfE` with `arguments` in `project`; `environment` replaces the whole environment if given."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-q", "-rfE", "-p", "no:cacheprovider", *arguments],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode == 0:
        return PytestRun(None, "")
    failed = FAILED.search(result.stdout)
    report = "\n".join((result.stdout + result.stderr).splitlines()[-REPORTED_LINES:])
    return PytestRun(failed[1] if failed else "", report)
