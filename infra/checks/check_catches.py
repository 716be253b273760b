"""Shows that every Catch of the ASL is load-bearing: for each Catch in turn, a copy of the project with that
one Catch removed runs the path tests, which must fail. Too slow for `make test` (one suite run per Catch);
run it with `make check-catches` after changing the state machine.

The copy is a temporary directory, so the working tree is never modified, even if interrupted."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
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
        if not _path_tests_pass(copy):
            print("the path tests fail without any change: fix them first", file=sys.stderr)
            return 2
        for asl, definition in definitions.items():
            for description, mutated in without_each_catch(definition):
                (copy / asl).write_text(_unparse(mutated))
                caught = not _path_tests_pass(copy)
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


def _path_tests_pass(project: Path) -> bool:
    # As `make test` runs them: one worker more than cores (tests/conftest.py shares the stack within a unit).
    workers = ["-n", str((os.cpu_count() or 1) + 1), "--dist", "loadscope", "--no-loadscope-reorder"]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/statemachine", "-x", "-q", "-p", "no:cacheprovider", *workers],
        cwd=project,
        env={**os.environ, "PYTHONPATH": "functions:infra:."},
        capture_output=True,
    )
    return run.returncode == 0


if __name__ == "__main__":
    sys.exit(main())
