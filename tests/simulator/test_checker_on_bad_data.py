"""The checker flags what each undone fix leaves behind (the data the simulator found with the fix undone in a
scratch copy, docs/simulation.md "Proof that it has teeth"): the chaos invariants and the simulator's own."""

from __future__ import annotations

from saga_client.invariants import OrderFacts, Snapshot
from simulator.check import violations

FORWARD = ("STARTED", "ORDER_CREATED", "STOCK_RESERVED", "PAYMENT_CHARGED")


def _snapshot(order: OrderFacts, available: int) -> Snapshot:
    return Snapshot([order], initial_stock={"P1": 12}, available={"P1": available})


def test_a_confirmation_landing_after_the_undo_began_without_the_fence() -> None:
    """ADR 0002 undone: a ConfirmOrder that timed out confirmed the order after RefundPayment had begun, and the
    undo then cancelled a CONFIRMED order: the saga ended twice."""
    order = OrderFacts(
        "order-1",
        "CANCELLED",
        saga_status="CANCELLED",
        total_cents=2000,
        items={"P1": 2},
        reservation_status="RELEASED",
        reserved={"P1": 2},
        payment_status="REFUNDED",
        payment_cents=2000,
        history=(*FORWARD, "CONFIRMED", "PAYMENT_REFUNDED", "STOCK_RELEASED", "CANCELLED"),
        reported=("CANCELLED", "CANCELLED"),
    )
    found = violations(_snapshot(order, 12), {"order-1": ["CheckoutCancelled"]})
    assert any(v.startswith("5: CANCELLED order order-1 had been CONFIRMED") for v in found)
    assert "7: order order-1 ended 2 times: ['CONFIRMED', 'CANCELLED']" in found


def test_a_late_cancel_after_the_saga_was_given_up() -> None:
    """ADR 0006 undone: the execution ended COMPENSATION_FAILED (the client was told so), then a CancelOrder it had
    stopped waiting for cancelled the order, with no resume."""
    order = OrderFacts(
        "order-2",
        "CANCELLED",
        saga_status="CANCELLED",
        items={"P1": 1},
        history=("STARTED", "COMPENSATION_FAILED", "CANCELLED"),
        reported=("COMPENSATION_FAILED", "COMPENSATION_FAILED"),
    )
    found = violations(_snapshot(order, 12), {"order-2": ["CompensationFailed"]})
    assert "1: order order-2 was reported COMPENSATION_FAILED, then became CANCELLED" in found
    assert "7: order order-2 ended 2 times: ['COMPENSATION_FAILED', 'CANCELLED']" in found
    assert "7: order order-2's execution ended in CompensationFailed but the order is CANCELLED" in found


def test_a_step_taking_effect_after_its_twin_failed() -> None:
    """ADR 0007 undone: a ReserveStock delivered twice; one delivery failed and started the undo, the other then
    reserved: the CANCELLED order holds stock that no undo gives back."""
    order = OrderFacts(
        "order-3",
        "CANCELLED",
        saga_status="CANCELLED",
        items={"P1": 2},
        reservation_status="RESERVED",
        reserved={"P1": 2},
        history=("STARTED", "ORDER_CREATED", "STOCK_RESERVED", "STOCK_RELEASED", "CANCELLED"),
        reported=("CANCELLED", "CANCELLED"),
    )
    found = violations(_snapshot(order, 10), {})
    assert "2: CANCELLED order order-3 still holds its stock {'P1': 2}" in found
    assert any(v.startswith("2: P1: 10 available, expected 12") for v in found)
