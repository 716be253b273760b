"""The simulator's throughput as docs/simulation.md ("Throughput") states it: CPU time per schedule over fixed seeds
replayed in one process, after one warm-up schedule. CPU time, not wall time: the machine it is measured on is
shared, and another process's load must not count as the simulator's."""

from __future__ import annotations

import cProfile
import time
from dataclasses import dataclass
from pathlib import Path

from simulator.explore import replay
from simulator.world import World


@dataclass(frozen=True)
class Throughput:
    schedules: int
    cpu_seconds: float
    calls: int  # the numbered lines of the schedules' traces, as `--seed` prints them
    violations: int

    def __str__(self) -> str:
        return (
            f"measure: {self.schedules} schedules, {1000 * self.cpu_seconds / self.schedules:.0f} ms of CPU each, "
            f"{self.calls / self.schedules:.0f} calls each, {self.violations} violations"
        )


def seed_range(text: str) -> range:
    """`1-16` (both ends included) or a single seed."""
    first, _, last = text.partition("-")
    return range(int(first), int(last or first) + 1)


def measure(world: World, seeds: range, profile: Path | None = None) -> Throughput:
    """Replays `seeds` after one warm-up schedule (the first seed: imports, caches and moto's first calls are not
    what a long exploration pays); with `profile`, cProfile's statistics of the timed part go to that file."""
    replay(world, seeds[0])
    profiler = cProfile.Profile() if profile else None
    calls = violations = 0
    started = time.process_time()
    if profiler:
        profiler.enable()
    for seed in seeds:
        outcome, _ = replay(world, seed)
        calls += len(outcome.trace)
        violations += bool(outcome.violations)
    if profiler:
        profiler.disable()
    spent = time.process_time() - started
    if profiler and profile:
        profiler.dump_stats(str(profile))
    return Throughput(len(seeds), spent, calls, violations)
