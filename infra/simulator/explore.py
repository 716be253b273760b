"""Seeds in, verdicts out: one schedule from its seed, new seeds for a time budget, and the shrinking of a schedule
that fails to the fewest, plainest choices that still fail (delta debugging over the recorded choices: drop
chunks, then lower each value toward 0)."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from simulator.choices import Choices
from simulator.simulation import Outcome, Simulation
from simulator.world import World


@dataclass
class Failure:
    seed: int
    outcome: Outcome  # of the shrunk schedule
    choices: list[int]
    found_after: float = 0.0  # seconds of exploring until its schedule ended (before shrinking)


def replay(world: World, seed: int | None = None, recorded: list[int] | None = None) -> tuple[Outcome, list[int]]:
    choices = Choices(seed, recorded)
    outcome = Simulation(world, choices).run()
    return outcome, choices.drawn


def shrink(world: World, drawn: list[int], deadline: float) -> tuple[Outcome, list[int]]:
    """The smallest recorded choices found before `deadline` whose schedule still breaks an invariant."""
    best_outcome, best = replay(world, recorded=drawn)

    def fails(candidate: list[int]) -> bool:
        nonlocal best_outcome, best
        outcome, used = replay(world, recorded=candidate)
        if outcome.violations and len(outcome.trace) <= len(best_outcome.trace):
            best_outcome, best = outcome, used
            return True
        return False

    chunk = max(1, len(best) // 2)
    while chunk >= 1 and time.monotonic() < deadline:
        start = 0
        while start < len(best) and time.monotonic() < deadline:
            if not fails(best[:start] + best[start + chunk :]):
                start += chunk
        chunk //= 2
    for position in range(len(best)):
        if time.monotonic() >= deadline:
            break
        if best[position] and position < len(best):
            fails([*best[:position], 0, *best[position + 1 :]])
    return best_outcome, best


def explore(
    world: World,
    first_seed: int,
    budget: float,
    stride: int = 1,
    on_schedule: Callable[[int, Outcome], None] = lambda s, o: None,
    stop: Callable[[], bool] = lambda: False,
    known: Collection[int] = (),
    most: int | None = None,
) -> tuple[int, Failure | None]:
    """Seeds `first_seed`, `first_seed + stride`, ... (but the `known` ones, already reported) until `budget`
    seconds have passed, `most` schedules have run, or one fails: (schedules run, the failure, shrunk). Several
    workers take one stride each."""
    deadline = time.monotonic() + budget
    seed, count = first_seed, 0
    while time.monotonic() < deadline and not stop() and (most is None or count < most):
        if seed in known:
            seed += stride
            continue
        outcome, drawn = replay(world, seed)
        count += 1
        on_schedule(seed, outcome)
        if outcome.violations:
            found_after = budget - (deadline - time.monotonic())
            shrunk, choices = shrink(world, drawn, time.monotonic() + 60)
            return count, Failure(seed, shrunk, choices, found_after)
        seed += stride
    return count, None


def explore_in_worker(
    first_seed: int, budget: float, stride: int, found: Any, known: Collection[int] = ()
) -> tuple[int, Failure | None]:
    """One process's share of `explore`, in a simulated cloud of its own; `found` (an Event shared by the
    workers) stops the others once one has found a failure."""
    from simulator.simulation import prepared_world

    with prepared_world() as world:
        count, failure = explore(world, first_seed, budget, stride, stop=found.is_set, known=known)
    if failure is not None:
        found.set()
    return count, failure
