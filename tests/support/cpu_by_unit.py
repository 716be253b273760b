"""Where `make test`'s CPU goes, by unit of work and by kind of process:
`make test PYTEST_ARGS="-p tests.support.cpu_by_unit"`.

`time make test` counts only the processes pytest waits for; the local cloud servers the end-to-end tests start
run detached, and their Lambda workers are theirs. Each xdist worker here samples, twice a second, the CPU time
(user plus system, from /proc) of itself, its descendants and every process whose environment names it
(`PYTEST_XDIST_WORKER`, which the servers inherit), and charges what each used since the last sample to the work
unit the worker is running then (tests/conftest.py's `work_unit`). The controller prints the units that cost most,
and the total by kind of process. A process that starts and ends between two samples is missed; the rest is
counted to within half a second of CPU per process.
"""

from __future__ import annotations

import os
import threading
import time
from collections import defaultdict
from typing import Any

import pytest

from tests.conftest import work_unit

_TICKS = os.sysconf("SC_CLK_TCK")
_SAMPLE_SECONDS = 0.5
_SHOWN = 25
KIND_COLUMNS = {  # each unit's CPU split by kind of process, under these headings
    "pytest processes": "pytest",
    "local cloud servers": "servers",
    "Lambda workers": "Lambda",
    "other processes": "other",
}


def _kind(command: str) -> str:
    if "local_cloud.awslambda" in command:
        return "Lambda workers"
    if "local_cloud serve" in command:
        return "local cloud servers"
    if "pytest" in command and "xdist" not in command:
        return "pytest processes"
    return "other processes"


class _Sampler:
    """CPU seconds by (unit, kind) for one xdist worker."""

    def __init__(self, worker: str) -> None:
        self.unit = "(start-up and collection)"
        self.cpu: defaultdict[tuple[str, str], float] = defaultdict(float)
        self.wall: defaultdict[str, float] = defaultdict(float)
        self._tag = f"PYTEST_XDIST_WORKER={worker}".encode()
        self._seen: dict[int, float] = {}
        self._kinds: dict[int, str | None] = {}  # None: not ours
        self._since = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-by-unit", daemon=True)
        self._thread.start()

    def switch(self, unit: str) -> None:
        with self._lock:
            if unit != self.unit:
                self._charge()
                now = time.monotonic()
                self.wall[self.unit] += now - self._since
                self.unit, self._since = unit, now

    def finish(self) -> dict[str, Any]:
        self._stop.set()
        self._thread.join()
        self.switch("(end)")
        return {"cpu": [[unit, kind, seconds] for (unit, kind), seconds in self.cpu.items()], "wall": dict(self.wall)}

    def _run(self) -> None:
        while not self._stop.wait(_SAMPLE_SECONDS):
            with self._lock:
                self._charge()

    def _charge(self) -> None:
        for pid, (parent, seconds) in _processes().items():
            kind = self._kind_of(pid, parent)
            if kind is None:
                continue
            used = seconds - self._seen.get(pid, 0.0)
            self._seen[pid] = seconds
            if used > 0:
                self.cpu[(self.unit, kind)] += used

    def _kind_of(self, pid: int, parent: int) -> str | None:
        if pid not in self._kinds:
            if pid == os.getpid():
                self._kinds[pid] = "pytest processes"  # an xdist worker's command line does not say pytest
            else:
                ours = self._kinds.get(parent) is not None or self._tagged(pid)
                self._kinds[pid] = _kind(_command(pid)) if ours else None
        return self._kinds[pid]

    def _tagged(self, pid: int) -> bool:
        try:
            with open(f"/proc/{pid}/environ", "rb") as environ:
                return self._tag + b"\0" in environ.read() + b"\0"
        except OSError:
            return False


def _processes() -> dict[int, tuple[int, float]]:
    """Every process's parent and CPU seconds so far, parents before children where pids allow."""
    found = {}
    for name in sorted((n for n in os.listdir("/proc") if n.isdigit()), key=int):
        try:
            with open(f"/proc/{name}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[int(name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICKS)
    return found


def _command(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


_sampler: _Sampler | None = None
_reports: list[dict[str, Any]] = []


def pytest_configure(config: pytest.Config) -> None:
    global _sampler
    worker = getattr(config, "workerinput", {}).get("workerid")
    if worker is not None:
        _sampler = _Sampler(worker)


def pytest_runtest_protocol(item: pytest.Item) -> None:
    if _sampler is not None:
        _sampler.switch(work_unit(item.nodeid))


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _sampler is not None and hasattr(session.config, "workeroutput"):
        session.config.workeroutput["cpu_by_unit"] = _sampler.finish()


def pytest_testnodedown(node: Any, error: Any) -> None:
    report = getattr(node, "workeroutput", {}).get("cpu_by_unit")
    if report:
        _reports.append(report)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _reports:
        if not hasattr(terminalreporter.config, "workerinput"):
            terminalreporter.write_line("cpu_by_unit: nothing sampled (it samples xdist workers: run with -n)")
        return
    for line in summary_lines(_reports):
        terminalreporter.write_line(line)


def summary_lines(reports: list[dict[str, Any]]) -> list[str]:
    """The total by kind of process, then the units that cost most, each with its CPU split by kind."""
    by_unit: defaultdict[str, float] = defaultdict(float)
    by_kind: defaultdict[str, float] = defaultdict(float)
    by_unit_and_kind: defaultdict[tuple[str, str], float] = defaultdict(float)
    wall: defaultdict[str, float] = defaultdict(float)
    for report in reports:
        for unit, kind, seconds in report["cpu"]:
            by_unit[unit] += seconds
            by_kind[kind] += seconds
            by_unit_and_kind[(unit, kind)] += seconds
        for unit, seconds in report["wall"].items():
            wall[unit] += seconds
    lines = [f"CPU by unit of work: {sum(by_unit.values()):.0f} s in all, over {len(reports)} workers"]
    kinds = sorted(by_kind, key=lambda kind: -by_kind[kind])
    lines += [f"  {by_kind[kind]:7.1f} s  {kind}" for kind in kinds]
    columns = "".join(f"  {KIND_COLUMNS.get(kind, kind):>7}" for kind in kinds)
    lines.append(f"  {'CPU s':>7}{columns}  {'wall s':>7}  unit (the {_SHOWN} that cost most)")
    for unit, seconds in sorted(by_unit.items(), key=lambda pair: -pair[1])[:_SHOWN]:
        split = "".join(f"  {by_unit_and_kind[(unit, kind)]:7.1f}" for kind in kinds)
        lines.append(f"  {seconds:7.1f}{split}  {wall[unit]:7.1f}  {unit}")
    return lines
