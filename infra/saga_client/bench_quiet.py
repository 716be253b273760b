"""A benchmark's figures mean something only on a quiet machine: before measuring, `make bench` waits (up to a
minute) for the 1-minute load average to fall below 1.0. If it does not, the run still reports its figures but
judges no target: they say "not measured: the machine was busy (load X)", never `holds` or `MISSED`."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

QUIET_LOAD = 1.0  # the 1-minute load average under which a 2-core machine is doing nothing else of note
QUIET_WAIT_S = 60.0
NOT_MEASURED = "not measured"


@dataclass(frozen=True)
class Quiet:
    quiet: bool
    load: float  # the 1-minute load average when the wait ended
    waited_s: float

    def as_report(self) -> dict[str, Any]:
        return asdict(self)


def wait_for_quiet(
    limit: float = QUIET_LOAD,
    timeout_s: float = QUIET_WAIT_S,
    *,
    loadavg: Callable[[], tuple[float, float, float]] = os.getloadavg,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    progress: Callable[[str], None] = lambda _: None,
) -> Quiet:
    """Poll the load average every 5 s (the kernel's own update period) until it is below `limit`."""
    started = clock()
    load = loadavg()[0]
    if load >= limit:
        progress(f"    waiting up to {timeout_s:g} s for the load average ({load:.2f}) to fall below {limit:g}")
    while load >= limit and clock() - started < timeout_s:
        sleep(5.0)
        load = loadavg()[0]
    return Quiet(quiet=load < limit, load=round(load, 2), waited_s=round(clock() - started, 1))


def busy_verdict(report: dict[str, Any]) -> str | None:
    """What stands in for every target's verdict when the run was not quiet; None when it was."""
    quiet = report.get("conditions", {}).get("quiet")
    if quiet is None or quiet["quiet"]:
        return None
    return f"{NOT_MEASURED}: the machine was busy (load {quiet['load']:.2f})"
