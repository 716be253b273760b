"""Schedules the simulator found with a fix undone in a scratch copy (docs/simulation.md, "Proof that it has
teeth") or before a fix was made ("Found, then fixed"), replayed on today's code: each still contains the race
that broke the code without the fix, and breaks nothing now.
A seed names a schedule only for the simulator's code that found it: a change to what the simulator draws must
find these again (run it on the undone fix) and update the seeds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator.explore import replay
from simulator.simulation import prepared_world
from simulator.world import World

# seed -> (the fix undone when it was found, calls its schedule must make in this order)
REGRESSIONS = {
    23: (
        "ADR 0007: a forward step's effect and its failure exclude each other (the outbox transaction's check)",
        [  # one copy of CreateOrder fails and emits its failure, the other then creates the order
            "deliver CheckoutRequested of order-0 to CreateOrder (receive 1) [fail]: TransactWriteItems",
            "deliver CheckoutRequested of order-0 to CreateOrder (receive 1, copy 2): TransactWriteItems",
            "deliver CreateOrderFailed of order-0 to CancelOrder (receive 1): TransactWriteItems",
        ],
    ),
    28: (
        "ADR 0002: the undo fences the order; ConfirmOrder's write requires no fence",
        [  # every ConfirmOrder times out; RefundPayment fences, then a late attempt tries to confirm
            "ConfirmOrder #3 of checkout execution order-4 [timeout at call 1, that call 40 steps late]: start",
            "RefundPayment #1 of checkout execution order-4: UpdateItem",
            "ConfirmOrder #2 of checkout execution order-4 [timeout at call 1, that call 10 steps late]: "
            "TransactWriteItems",
        ],
    ),
}


# The calls each race is made of, in this order (the seeds were found on the code before their fix).
SEED_63 = [  # the operator fences; the execution's own CancelOrder cancels; the forced undo runs after the end
    "operator compensates order-4: UpdateItem",
    "CancelOrder #1 of checkout execution order-4: TransactWriteItems",
    "RefundPayment #1 of checkout execution order-4 (compensate): TransactWriteItems",
    "ReleaseStock #1 of checkout execution order-4 (compensate): TransactWriteItems",
]
SEED_582 = [  # the mark, then a CancelReturn the execution stopped waiting for tries to cancel
    "MarkReturnCompensationFailed #1 of return execution return-order-1: UpdateItem",
    "CancelReturn #1 of return execution return-order-1 [timeout at call 4, that call 150 steps late]: "
    "TransactWriteItems",
]


def _in_order(wanted: list[str], trace: list[str]) -> bool:
    remaining = iter(trace)
    return all(line in remaining for line in wanted)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with prepared_world() as prepared:
        yield prepared


# Seeds whose schedule no longer makes its race's calls: the product's calls changed after they were found (a
# reservation now reads its product's stock shards first), so each now runs another schedule. Still replayed (it
# must break nothing) until the simulator, run on the fix undone, finds the race again (docs/simulation.md).
TO_FIND_AGAIN = {23, 28}


@pytest.mark.parametrize("seed", sorted(REGRESSIONS))
def test_a_schedule_that_broke_an_undone_fix_passes_today(world: World, seed: int) -> None:
    fix, ingredients = REGRESSIONS[seed]
    outcome, _ = replay(world, seed)
    runs_its_race = _in_order(ingredients, outcome.trace)
    assert runs_its_race != (seed in TO_FIND_AGAIN), f"seed {seed}: update TO_FIND_AGAIN ({fix})"
    assert outcome.violations == []
    assert all(order.status in ("CONFIRMED", "CANCELLED", "COMPENSATION_FAILED") for order in outcome.snapshot.orders)


def test_a_forced_compensation_racing_the_executions_own_undo_records_nothing_after_the_end(world: World) -> None:
    """Found by the simulator before ADR 0009 (seed 63): an operator forces the undo of a checkout whose CreateOrder
    keeps timing out, while the execution's own CancelOrder runs (StopExecution does not stop a running
    invocation). The forced undo's RefundPayment and ReleaseStock used to append their transitions after the saga
    log's CANCELLED (invariant 5); now they leave their tombstones and record nothing."""
    outcome, _ = replay(world, 63)
    assert _in_order(SEED_63, outcome.trace), "seed 63 no longer runs its race"
    assert outcome.violations == []
    order = next(o for o in outcome.snapshot.orders if o.order_id == "order-4")
    assert (order.status, order.reservation_status, order.payment_status) == ("CANCELLED", "RELEASED", "VOIDED")
    assert order.history == ("STARTED", "ORDER_CREATED", "CANCELLED")


def test_a_late_cancel_return_after_the_return_saga_was_given_up_changes_nothing(world: World) -> None:
    """Found by the simulator before CancelReturn refused a saga given up (seed 582): ADR 0006's race in the return
    saga. Every CancelReturn times out, MarkReturnCompensationFailed marks the return COMPENSATION_FAILED (what its
    execution reports), then a CancelReturn the execution stopped waiting for used to cancel it with no resume
    (invariant 6). Now it raises SagaGivenUp: the return stays as its execution reported it."""
    outcome, _ = replay(world, 582)
    assert _in_order(SEED_582, outcome.trace), "seed 582 no longer runs its race"
    assert outcome.violations == []
    given_up = next(r for r in outcome.snapshot.returns if r.return_id == "return-order-1")
    assert (given_up.status, given_up.reported) == ("COMPENSATION_FAILED", "COMPENSATION_FAILED")
