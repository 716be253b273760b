"""Shows that every Catch of the ASL is load-bearing: for each Catch in turn, a copy of the project with that
one Catch removed runs the path tests, which must fail. Too slow for `make test` (one suite run per Catch);
run it with `make check-catches` after changing the state machine.

The tests that failed for earlier Catches run first, alone: most Catches are needed by a test that needed
another (the undo paths), and a few tests cost about a third of the suite. Only when they all pass does the
whole suite run, and the test that fails there joins them.

The copy is a temporary directory, so the working tree is never modified, even if interrupted."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from checks.project_copy import copy_project

ROOT = Path(__file__).resolve().parents[2]
ASLS = (Path("statemachine/checkout.asl.json"), Path("statemachine/return.asl.json"))
ASL = ASLS[0]
# Numeric DefinitionSubstitutions are written unquoted in the ASL: quote them to parse, unquote to write back
# (those the ASL files write unquoted, whichever they are).
NUMERIC = re.compile(r"(:\s*)(\$\{\w+\})")
NUMERIC_NAMES = sorted({name for asl in ASLS for name in re.findall(r":\s*\$\{(\w+)\}", (ROOT / asl).read_text())})
FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.MULTILINE)  # pytest -rfE's summary line
QUOTED_NUMERIC = re.compile(r'"(\$\{(?:' + "|".join(NUMERIC_NAMES) + r')\})"')


def without_each_catch(definition: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(description, definition with one Catch removed) for every Catch of every state."""
    for name, state in definition["States"].items():
        for index, catch in enumerate(state.get("Catch", [])):
            mutated = json.loads(json.dumps(definition))
            catches = mutated["States"][name]["Catch"]
            del catches[index]
            if not catches:
                del mutated["States"][name]["Catch"]
            yield f"{name}: Catch {catch['ErrorEquals']} -> {catch['Next']}", mutated


def main() -> int:
    definitions = {asl: json.loads(NUMERIC.sub(r'\1"\2"', (ROOT / asl).read_text())) for asl in ASLS}
    surviving = []
    with tempfile.TemporaryDirectory(prefix="check-catches-") as work:
        copy = copy_project(ROOT, Path(work))
        # A failure is only evidence if the copy passes untouched (rewritten as the variants are written):
        # otherwise every variant would "fail".
        for asl, definition in definitions.items():
            (copy / asl).write_text(_unparse(definition))
        if (failed := _failing_test(copy, ["tests/statemachine"])) is not None:
            print(f"the path tests fail without any change: fix them first ({failed})", file=sys.stderr)
            return 2
        killers = Killers()
        for asl, definition in definitions.items():
            for description, mutated in without_each_catch(definition):
                (copy / asl).write_text(_unparse(mutated))
                caught = killers.catch(lambda paths: _failing_test(copy, paths))
                print(f"{'caught' if caught else 'SURVIVED'}  {asl.name} {description}", flush=True)
                if not caught:
                    surviving.append(description)
            (copy / asl).write_text(_unparse(definition))
    print(
        f"{len(surviving)} Catch(es) whose removal no path test notices" if surviving else "every Catch is load-bearing"
    )
    return 1 if surviving else 0


def _unparse(definition: dict[str, Any]) -> str:
    return QUOTED_NUMERIC.sub(r"\1", json.dumps(definition, indent=2))


# A run's failing test: None when every test passed, "" when pytest named none (it could not even collect).
Run = Callable[[list[str]], "str | None"]
FIRST_TRIED = 3  # earlier killers run alone first, most recent first; more would cost as much as the suite


class Killers:
    """The tests that failed for the Catches checked so far, tried alone before the whole suite."""

    def __init__(self) -> None:
        self.tests: list[str] = []  # most recent first

    def catch(self, run: Run) -> bool:
        """Whether a test fails: the last killers first, then the whole suite (whose failing test joins them)."""
        if self.tests and run(self.tests[:FIRST_TRIED]) is not None:
            return True  # (pytest -x names the first that failed; they stay in their order)
        failed = run(["tests/statemachine"])
        if failed:
            self.tests = [failed, *(test for test in self.tests if test != failed)]
        return failed is not None


def _failing_test(project: Path, paths: list[str]) -> str | None:
    """None if the tests pass; else the first failing test's node id ("" if pytest names none)."""
    # The whole suite as `make test` runs it: one worker more than cores (tests/conftest.py shares the stack
    # within a unit); a few named tests in this process, where the workers' start would cost more than they save.
    whole = paths == ["tests/statemachine"]
    workers = ["-n", str((os.cpu_count() or 1) + 1), "--dist", "loadscope", "--no-loadscope-reorder"] if whole else []
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *paths, "-x", "-q", "-rfE", "-p", "no:cacheprovider", *workers],
        cwd=project,
        env={**os.environ, "PYTHONPATH": "functions:infra:."},
        capture_output=True,
        text=True,
    )
    if run.returncode == 0:
        return None
    failed = FAILED.search(run.stdout)
    return failed[1] if failed else ""


if __name__ == "__main__":
    sys.exit(main())
