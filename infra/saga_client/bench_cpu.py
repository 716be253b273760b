"""CPU time spent per saga by the local cloud's server process, its Lambda worker processes and this
benchmark client, read from /proc (Linux; elsewhere the figures are left out). It says where a
throughput ceiling comes from: on N cores, at most N * 1000 / (CPU ms per saga) sagas per second."""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pid: int) -> float | None:
    """utime + stime of one process, or None if it is gone or /proc is not there."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS


def children(pid: int) -> list[int]:
    """Every process below `pid`: the server's request threads start the zygote and fresh workers, and the zygote
    forks the others (each thread lists the children it started)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            direct = [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
        for child in direct:
            found += [child, *children(child)]
    return found


@dataclass(frozen=True)
class CpuSnapshot:
    server: float | None
    workers: dict[int, float]  # worker pid -> CPU seconds (workers come and go)
    client: float

    @classmethod
    def take(cls, server_pid: int | None) -> CpuSnapshot:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        if server_pid is None:
            return cls(None, {}, usage.ru_utime + usage.ru_stime)
        workers = {pid: seconds for pid in children(server_pid) if (seconds := _cpu_seconds(pid)) is not None}
        return cls(_cpu_seconds(server_pid), workers, usage.ru_utime + usage.ru_stime)


def cpu_per_saga(before: CpuSnapshot, after: CpuSnapshot, sagas: int) -> dict[str, Any] | None:
    """Milliseconds of CPU per completed saga, by process kind, between two snapshots."""
    if before.server is None or after.server is None or sagas <= 0:
        return None
    # A worker born during the phase counts from zero: its start-up (a cold start) is part of the cost.
    workers = sum(seconds - before.workers.get(pid, 0.0) for pid, seconds in after.workers.items())
    per_saga = {
        "server": (after.server - before.server) * 1000 / sagas,
        "lambda_workers": workers * 1000 / sagas,
        "bench_client": (after.client - before.client) * 1000 / sagas,
    }
    total = sum(per_saga.values())
    cpus = os.cpu_count() or 1
    return {
        **{key: round(value, 1) for key, value in per_saga.items()},
        "total": round(total, 1),
        "ceiling_sagas_per_s": round(cpus * 1000 / total, 1) if total else None,
        # The server is one Python process: its GIL lets it use one core at most.
        "server_ceiling_sagas_per_s": round(1000 / per_saga["server"], 1) if per_saga["server"] else None,
    }
