"""`python -m simulator [--seed N] [--budget SECONDS]` (`make simulate SEED=<n> BUDGET=<seconds>`).

With --seed, that one schedule, the same output every time; with --budget, new schedules (from --seed, or from a
seed drawn from the clock) for that long. A schedule that breaks an invariant prints its seed, the violations
and the shrunk schedule as a numbered list of calls, and the exit status is 1. The last line is always
`simulate: N schedules, V violations`."""

from __future__ import annotations

import argparse
import sys
import time

from simulator.explore import Failure, explore, replay, shrink
from simulator.simulation import Outcome, prepared_world


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=None, help="replay this schedule (with --budget: start here)")
    parser.add_argument("--budget", type=float, default=None, help="explore new schedules for this many seconds")
    options = parser.parse_args(argv)
    if options.seed is None and options.budget is None:
        parser.error("give --seed N, --budget SECONDS, or both")
    with prepared_world() as world:
        if options.budget is None:
            outcome, drawn = replay(world, options.seed)
            failure = None
            if outcome.violations:
                shrunk, choices = shrink(world, drawn, time.monotonic() + 60)
                failure = Failure(options.seed, shrunk, choices)
            else:
                _print_schedule(outcome)
            count = 1
        else:
            first = options.seed if options.seed is not None else int(time.time())
            print(f"exploring from seed {first} for {options.budget:g} s", flush=True)
            count, failure = explore(world, first, options.budget)
    if failure is not None:
        _print_failure(failure)
    print(f"simulate: {count} schedules, {1 if failure else 0} violations")
    return 1 if failure else 0


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
