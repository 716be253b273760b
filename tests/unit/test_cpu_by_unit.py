"""The suite's CPU meter (tests/support/cpu_by_unit.py): a process's CPU is charged to the unit of work running
while it used it, whether the process is a child of the worker or a detached one that names the worker."""

import subprocess
import sys
import time

from tests.support.cpu_by_unit import _kind, _Sampler

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
