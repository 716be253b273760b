"""`python -m simulator [--seed N] [--budget SECONDS]` (`make simulate SEED=<n> BUDGET=<seconds>`).

With --seed, that one schedule, the same output every time; with --budget, new schedules (from --seed, or from a
seed drawn from the clock) for that long. A schedule that breaks an invariant prints its seed, the violations
and the shrunk schedule as a numbered list of calls, and the exit status is 1. The last line is always
`simulate: N schedules, V violations`.

`python -m simulator --measure 1-16 [--profile FILE]`: the CPU time per schedule of those seeds replayed in one
process (docs/simulation.md, "Throughput"); with --profile, cProfile's statistics go to FILE (and the profiler's
own cost inflates the figure printed: take the figure without it)."""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

# The functions log and emit metrics as on Lambda; thousands of schedules a minute would print millions of lines.
# powertools reads these when the product's observability module is first imported, hence here, before that
# import, and only in the command: set when the package is imported, they would silence every later test's metrics.
for _name, _value in {
    "POWERTOOLS_LOG_LEVEL": "CRITICAL",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_SERVICE_NAME": "simulator",
    "POWERTOOLS_METRICS_NAMESPACE": "simulator",
}.items():
    os.environ.setdefault(_name, _value)
# With metrics disabled, every handler's log_metrics still warns that it has none to publish: not in this command's
# output (nor in its spawned workers', which read PYTHONWARNINGS when they start).
_QUIET = "No application metrics to publish"
warnings.filterwarnings("ignore", message=_QUIET, category=UserWarning)
_inherited = os.environ.get("PYTHONWARNINGS")
os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [_inherited, f"ignore:{_QUIET}:UserWarning"]))

from simulator.explore import Failure, explore_in_worker, replay, shrink  # noqa: E402
from simulator.measure import measure, seed_range  # noqa: E402
from simulator.simulation import Outcome, prepared_world  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=None, help="replay this schedule (with --budget: start here)")
    parser.add_argument("--budget", type=float, default=None, help="explore new schedules for this many seconds")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes exploring (one a core)")
    parser.add_argument(
        "--skip",
        type=lambda text: {int(seed) for seed in text.split(",")},
        default=set(),
        help="seeds to pass over while exploring (comma-separated): failures already reported, to find the next one",
    )
    parser.add_argument("--measure", type=seed_range, default=None, help="CPU per schedule of seeds FIRST-LAST")
    parser.add_argument("--profile", type=Path, default=None, help="with --measure: cProfile's statistics to FILE")
    options = parser.parse_args(argv)
    if options.measure is not None:
        with prepared_world() as world:
            throughput = measure(world, options.measure, options.profile)
        print(throughput)
        return 1 if throughput.violations else 0
    if options.seed is None and options.budget is None:
        parser.error("give --seed N, --budget SECONDS, --measure FIRST-LAST, or both of the first two")
    if options.budget is None:
        count, failure = 1, _replay(options.seed)
    else:
        first = options.seed if options.seed is not None else int(time.time())
        print(f"exploring from seed {first} for {options.budget:g} s, {options.workers} workers", flush=True)
        count, failure = _explore(first, options.budget, max(1, options.workers), options.skip)
    if failure is not None:
        _print_failure(failure)
    print(f"simulate: {count} schedules, {1 if failure else 0} violations")
    return 1 if failure else 0


def _replay(seed: int) -> Failure | None:
    with prepared_world() as world:
        outcome, drawn = replay(world, seed)
        if not outcome.violations:
            _print_schedule(outcome)
            return None
        shrunk, choices = shrink(world, drawn, time.monotonic() + 60)
        return Failure(seed, shrunk, choices)


def _explore(first: int, budget: float, workers: int, skip: set[int]) -> tuple[int, Failure | None]:
    """Worker i runs seeds first + i, first + i + workers, ...: the seeds are the same whatever the machine."""
    context = multiprocessing.get_context("spawn")  # each worker builds its own moto; nothing shared
    with context.Manager() as manager, ProcessPoolExecutor(workers, mp_context=context) as pool:
        found = manager.Event()
        shares = [pool.submit(explore_in_worker, first + i, budget, workers, found, skip) for i in range(workers)]
        results = [share.result() for share in shares]
    failures = sorted((failure for _, failure in results if failure), key=lambda failure: failure.found_after)
    return sum(count for count, _ in results), failures[0] if failures else None


def _print_schedule(outcome: Outcome) -> None:
    for number, call in enumerate(outcome.trace, 1):
        print(f"{number:4d}. {call}")
    for order in outcome.snapshot.orders:
        print(f"      {order.order_id}: {order.status} {list(order.history)}")


def _print_failure(failure: Failure) -> None:
    found = f", found after {failure.found_after:.1f} s" if failure.found_after else ""
    print(f"violation: seed {failure.seed}{found} (replay: make simulate SEED={failure.seed})")
    for violation in failure.outcome.violations:
        print(f"  {violation}")
    print(f"shrunk schedule ({len(failure.outcome.trace)} calls from {len(failure.choices)} choices):")
    _print_schedule(failure.outcome)


if __name__ == "__main__":
    sys.exit(main())
