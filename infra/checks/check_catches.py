"""Shows that every Catch of the ASL is load-bearing: for each Catch in turn, a copy of the project with that
one Catch removed runs the path tests, which must fail. Too slow for `make test` (one suite run per Catch);
run it with `make check-catches` after changing the state machine.

The first run, with every Catch in place, records which Catches each test's executions took (checks.catches_taken).
A Catch removed changes only the executions that took it, so the tests that took it run first, alone (a few
tests cost a fraction of the suite); only when none of them fails, or none took it, does the whole suite run.

The copy is a temporary directory, so the working tree is never modified, even if interrupted."""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from checks.catches_taken import ENVIRONMENT, catch_name
from checks.project_copy import copy_project
from checks.pytest_runs import run_pytest

ROOT = Path(__file__).resolve().parents[2]
ASLS = (Path("statemachine/checkout.asl.json"), Path("statemachine/return.asl.json"))
ASL = ASLS[0]
# Numeric DefinitionSubstitutions are written unquoted in the ASL: quote them to parse, unquote to write back
# (those the ASL files write unquoted, whichever they are).
NUMERIC = re.compile(r"(:\s*)(\$\{\w+\})")
NUMERIC_NAMES = sorted({name for asl in ASLS for name in re.findall(r":\s*\$\{(\w+)\}", (ROOT / asl).read_text())})
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
            yield catch_name(name, catch), mutated


def main() -> int:
    definitions = {asl: json.loads(NUMERIC.sub(r'\1"\2"', (ROOT / asl).read_text())) for asl in ASLS}
    surviving = []
    with tempfile.TemporaryDirectory(prefix="check-catches-") as work:
        copy = copy_project(ROOT, Path(work))
        # A failure is only evidence if the copy passes untouched (rewritten as the variants are written):
        # otherwise every variant would "fail".
        for asl, definition in definitions.items():
            (copy / asl).write_text(_unparse(definition))
        taken = Path(work) / "catches-taken.jsonl"
        if (failed := _failing_test(copy, WHOLE_SUITE, {ENVIRONMENT: str(taken)})) is not None:
            print(f"the path tests fail without any change: fix them first ({failed})", file=sys.stderr)
            return 2
        coverage = Coverage.read(taken)
        for asl, definition in definitions.items():
            for description, mutated in without_each_catch(definition):
                (copy / asl).write_text(_unparse(mutated))
                caught = coverage.catch(description, lambda paths: _failing_test(copy, paths))
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
WHOLE_SUITE = ["tests/statemachine"]


class Coverage:
    """The tests whose executions took each Catch, in the first run (with every Catch in place)."""

    def __init__(self, taken: dict[str, list[str]]) -> None:
        self.taken = taken  # Catch name -> test node ids

    @classmethod
    def read(cls, path: Path) -> Coverage:
        taken: dict[str, list[str]] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            for catch in record["catches"]:
                taken.setdefault(catch, []).append(record["test"])
        return cls(taken)

    def catch(self, description: str, run: Run) -> bool:
        """Whether a test fails without this Catch: those that took it first, then the whole suite."""
        tests = self.taken.get(description, [])
        if tests and run(tests) is not None:
            return True
        return run(WHOLE_SUITE) is not None


def _failing_test(project: Path, paths: list[str], environment: dict[str, str] | None = None) -> str | None:
    """None if the tests pass; else the first failing test's node id ("" if pytest names none)."""
    # The whole suite as `make test` runs it: one worker more than cores (tests/conftest.py shares the stack
    # within a unit); a few named tests in this process, where the workers' start would cost more than they save.
    workers = ["-n", str((os.cpu_count() or 1) + 1), "--dist", "loadscope", "--no-loadscope-reorder"]
    arguments = [*paths, *(workers if paths == WHOLE_SUITE else [])]
    return run_pytest(
        project, arguments, {**os.environ, "PYTHONPATH": "functions:infra:.", **(environment or {})}
    ).failed


if __name__ == "__main__":
    sys.exit(main())
