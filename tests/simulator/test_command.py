"""`make simulate` as its users run it: `python -m simulator`, in its own process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def simulate(*arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith(("POWERTOOLS_", "PYTHONWARNINGS"))
    }
    environment["PYTHONPATH"] = os.pathsep.join(str(ROOT / part) for part in ("functions", "infra", "."))
    return subprocess.run(
        [sys.executable, "-m", "simulator", *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow  # a process building its own moto world: seconds
def test_a_replayed_seed_prints_its_schedule_and_the_count_and_nothing_else() -> None:
    result = simulate("--seed", "3")

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("   1. "), lines[:3]  # the schedule, one numbered call a line
    assert lines[-1] == "simulate: 1 schedules, 0 violations"
    assert result.stderr == ""  # no warning from the handlers' metrics, which the command disables


@pytest.mark.slow
def test_exploring_prints_no_warning_from_its_worker_processes() -> None:
    result = simulate("--seed", "1", "--budget", "2", "--workers", "2")

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == "exploring from seed 1 for 2 s, 2 workers"
    assert result.stdout.splitlines()[-1].endswith(" violations")
    assert result.stderr == ""
