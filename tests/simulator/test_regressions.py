"""Schedules the simulator found with a fix undone in a scratch copy (docs/simulation.md, "Proof that it has
teeth") or before a fix was made ("Found, then fixed"), replayed on today's code: each still makes the calls of the
race that broke the code without the fix, in that order, and breaks nothing now.
A seed names a schedule only for the simulator's code that found it: a change to what the simulator draws must
find these again (run it on the undone fix, as the page says) and update the seeds."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from simulator.explore import replay
from simulator.simulation import prepared_world
from simulator.world import World


@dataclass(frozen=True)
class Regression:
    fix: str  # the fix that was undone when the seed was found
    calls: tuple[str, ...]  # calls its schedule makes, in this order: the race


# The three fixes the simulator must find again when one is undone (docs/simulation.md, "Proof that it has teeth").
TEETH = {
    141: Regression(
        "ADR 0002: the undo fences the order; ConfirmOrder's write requires no fence",
        (  # every ConfirmOrder hangs; a late one reads the payment, RefundPayment fences, then it tries to confirm
            "ConfirmOrder #3 of checkout execution order-4 [timeout at call 1, that call 5 steps late]: GetItem",
            "RefundPayment #1 of checkout execution order-4: UpdateItem",
            "ConfirmOrder #3 of checkout execution order-4 [timeout at call 1, that call 5 steps late]: "
            "TransactWriteItems",
        ),
    ),
    24: Regression(
        "ADR 0006: CancelOrder cancels an order marked COMPENSATION_FAILED without a resume",
        (  # every CancelOrder times out at its write; the mark, then a late CancelOrder tries to cancel
            "MarkCompensationFailed #1 of checkout execution order-1: UpdateItem",
            "CancelOrder #2 of checkout execution order-1 [timeout at call 2, that call 20 steps late]: "
            "TransactWriteItems",
        ),
    ),
    80: Regression(
        "ADR 0007: a forward step's effect and its failure exclude each other (the outbox transaction's check)",
        (  # CheckoutRequested delivered twice: one CreateOrder fails and emits its failure, the other then creates
            "deliver CheckoutRequested of order-2 to CreateOrder (receive 1) [fail] [40 steps late]: "
            "TransactWriteItems",
            "deliver CheckoutRequested of order-2 to CreateOrder (receive 1, copy 2) [40 steps late]: "
            "TransactWriteItems",
        ),
    ),
}


def _in_order(wanted: tuple[str, ...], trace: list[str]) -> bool:
    remaining = iter(trace)
    return all(line in remaining for line in wanted)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with prepared_world() as prepared:
        yield prepared


@pytest.mark.parametrize("seed", sorted(TEETH))
def test_a_schedule_that_broke_an_undone_fix_passes_today(world: World, seed: int) -> None:
    regression = TEETH[seed]
    outcome, _ = replay(world, seed)
    assert _in_order(regression.calls, outcome.trace), f"seed {seed} no longer runs its race ({regression.fix})"
    assert outcome.violations == []
    assert all(order.status in ("CONFIRMED", "CANCELLED", "COMPENSATION_FAILED") for order in outcome.snapshot.orders)


# Found before their fix was made (docs/simulation.md, "Found, then fixed"): each failed, and passes since.
FOUND_THEN_FIXED = {
    45: Regression(
        "ADR 0012: an undo's CancelOrder ends only the COMPENSATION_FAILED mark its resume was started for",
        (  # an operator's forced undo: its CancelOrder times out, its own mark, then a late CancelOrder of it
            "MarkCompensationFailed #1 of checkout execution order-1 (compensate): UpdateItem",
            "CancelOrder #3 of checkout execution order-1 (compensate) [timeout at call 1, that call 5 steps late]: "
            "TransactWriteItems",
        ),
    ),
    71: Regression(
        "ADR 0012, in an operator's resume of a COMPENSATION_FAILED checkout",
        (
            "MarkCompensationFailed #1 of checkout execution order-2 (resume): UpdateItem",
            "CancelOrder #1 of checkout execution order-2 (resume) [timeout at call 1, that call 20 steps late]: "
            "TransactWriteItems",
        ),
    ),
}


@pytest.mark.parametrize("seed", sorted(FOUND_THEN_FIXED))
def test_a_schedule_that_broke_the_code_before_its_fix_passes_today(world: World, seed: int) -> None:
    regression = FOUND_THEN_FIXED[seed]
    outcome, _ = replay(world, seed)
    assert _in_order(regression.calls, outcome.trace), f"seed {seed} no longer runs its race ({regression.fix})"
    assert outcome.violations == []
    # The late CancelOrder changed nothing: the order ends as its operator's undo ended, COMPENSATION_FAILED
    statuses = {order.order_id: order.status for order in outcome.snapshot.orders}
    assert statuses[RACED_ORDER[seed]] == "COMPENSATION_FAILED"


RACED_ORDER = {45: "order-1", 71: "order-2"}
