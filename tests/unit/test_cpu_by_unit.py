"""The suite's CPU meter (tests/support/cpu_by_unit.py): a process's CPU is charged to the unit of work running
while it used it, whether the process is a child of the worker or a detached one that names the worker."""

import subprocess
import sys
import time

from tests.support.cpu_by_unit import _kind, _Sampler, summary_lines

BURN = "import time\nstart = time.process_time()\nwhile time.process_time() - start < 0.6: pass\ntime.sleep(1.2)\n"


def test_cpu_of_children_and_of_detached_processes_naming_the_worker_is_charged_to_the_running_unit() -> None:
    sampler = _Sampler("gw-meter")
    sampler.switch("unit-a")
    # A child of this process, and a process its shell leaves behind (reparented, found by its environment)
    child = subprocess.Popen([sys.executable, "-c", BURN])
    subprocess.run(
        ["sh", "-c", f'"{sys.executable}" -c "$BURN" >/dev/null 2>&1 &'],
        env={"BURN": BURN, "PYTEST_XDIST_WORKER": "gw-meter", "PATH": "/usr/bin:/bin"},
        check=True,
    )
    child.wait()
    time.sleep(0.2)  # the detached one ends with the child, give or take a sample
    sampler.switch("unit-b")
    report = sampler.finish()

    charged = {(unit, kind): seconds for unit, kind, seconds in report["cpu"]}
    assert charged[("unit-a", "other processes")] >= 0.9  # both burners' 0.6 s, each sampled while alive
    assert not any(unit == "unit-b" and seconds > 0.3 for (unit, _kind), seconds in charged.items())
    assert report["wall"]["unit-a"] >= 1.5


def test_processes_are_told_apart_by_their_command_line() -> None:
    assert _kind("/x/python -m local_cloud serve --host 127.0.0.1 --port 1") == "local cloud servers"
    assert _kind("/x/python -m local_cloud.awslambda.zygote 11") == "Lambda workers"
    assert _kind("/x/python -m pytest -x -q tests") == "pytest processes"
    assert _kind("/x/chromium --headless") == "other processes"


def test_the_summary_splits_each_units_cpu_by_kind_of_process() -> None:
    reports = [
        {"cpu": [["chaos", "Lambda workers", 3.0], ["chaos", "pytest processes", 1.0]], "wall": {"chaos": 9.0}},
        {"cpu": [["unit", "pytest processes", 2.5], ["chaos", "Lambda workers", 1.0]], "wall": {"unit": 4.0}},
    ]

    lines = summary_lines(reports)

    assert lines[0] == "CPU by unit of work: 8 s in all, over 2 workers"
    assert lines[1:3] == ["      4.0 s  Lambda workers", "      3.5 s  pytest processes"]
    assert lines[3].split()[:6] == ["CPU", "s", "Lambda", "pytest", "wall", "s"]
    assert lines[4].split() == ["5.0", "4.0", "1.0", "9.0", "chaos"]
    assert lines[5].split() == ["2.5", "0.0", "2.5", "4.0", "unit"]
