"""The chaos checker (saga_client.invariants) on crafted snapshots: a consistent one passes, and each kind of
violation is detected and named by its invariant."""

from typing import Any

import pytest

from saga_client.invariants import OrderFacts, Race, ReturnFacts, Snapshot, check, holdings

FORWARD = ("STARTED", "ORDER_CREATED", "STOCK_RESERVED", "PAYMENT_CHARGED")
UNDONE = (*FORWARD, "PAYMENT_REFUNDED", "STOCK_RELEASED", "CANCELLED")

# One order of each final status, as consistent data leaves them (2 units of A, 500 cents).
DEFAULTS: dict[str, dict[str, Any]] = {
    "CONFIRMED": {
        "reservation_status": "RESERVED",
        "payment_status": "CAPTURED",
        "history": (*FORWARD, "CONFIRMED"),
    },
    "CANCELLED": {"reservation_status": "RELEASED", "payment_status": "REFUNDED", "history": UNDONE},
    "COMPENSATION_FAILED": {  # RefundPayment kept failing: still holds its stock and its capture
        "reservation_status": "RESERVED",
        "payment_status": "CAPTURED",
        "history": (*FORWARD, "COMPENSATION_FAILED"),
    },
    "PENDING": {"reservation_status": None, "payment_status": None, "history": ("STARTED",)},
}


def order(order_id: str, status: str, **overrides) -> OrderFacts:
    fields: dict[str, Any] = {
        "saga_status": status,
        "total_cents": 500,
        "items": {"A": 2},
        "reserved": {"A": 2},
        "payment_cents": 500,
        **DEFAULTS[status],
        **overrides,
    }
    return OrderFacts(order_id=order_id, status=status, **fields)


def snapshot(*orders: OrderFacts, available: int, **extra) -> Snapshot:
    return Snapshot(orders=list(orders), initial_stock={"A": 10}, available={"A": available}, **extra)


def consistent() -> Snapshot:
    """10 initial + 3 restocked - 2 confirmed - 2 held by the COMPENSATION_FAILED order = 9."""
    return snapshot(
        order("o1", "CONFIRMED"),
        order("o2", "CANCELLED"),
        order("o3", "COMPENSATION_FAILED"),
        order("o4", "CANCELLED", resumed=True, reported=("COMPENSATION_FAILED",)),
        available=9,
        restocked={"A": 3},
        lowest_seen={"A": 0},
    )


def test_a_consistent_run_has_no_violation():
    assert check(consistent()) == []


def test_a_resumed_undo_may_void_a_payment_never_charged_after_releasing():
    """Stuck at CancelOrder, then resumed: the resume starts at RefundPayment, which only leaves a VOIDED
    tombstone for a saga that never charged; that it is logged after STOCK_RELEASED is no disorder."""
    history = ("STARTED", "ORDER_CREATED", "STOCK_RELEASED", "COMPENSATION_FAILED", "PAYMENT_REFUNDED", "CANCELLED")
    resumed = order("o1", "CANCELLED", history=history, reserved={}, payment_status="VOIDED", resumed=True)
    assert check(snapshot(resumed, available=10)) == []


def test_compensation_failed_orders_are_listed_with_what_they_still_hold():
    assert [(h.order_id, h.units, h.captured_cents) for h in holdings(consistent().orders)] == [("o3", {"A": 2}, 500)]


def test_the_race_sold_exactly_its_units():
    race = Race("A", 2, ("o1", "o2"))
    snap = snapshot(
        order("o1", "CONFIRMED", items={"A": 2}),
        order("o2", "CANCELLED", items={"A": 1}, reserved={}, history=(*FORWARD[:2], "STOCK_RELEASED", "CANCELLED")),
        available=8,
        races=[race],
    )
    assert check(snap) == []


@pytest.mark.parametrize(
    ("snap", "expected"),
    [
        pytest.param(snapshot(order("o1", "PENDING"), available=10), "1: order o1 is PENDING", id="pending"),
        pytest.param(
            snapshot(order("o1", "CANCELLED", reported=("CONFIRMED",)), available=10),
            "1: order o1 was reported CONFIRMED, then became CANCELLED",
            id="final-status-changed",
        ),
        pytest.param(
            snapshot(order("o1", "CANCELLED", reported=("COMPENSATION_FAILED",)), available=10),
            "1: order o1 was reported COMPENSATION_FAILED",
            id="changed-without-resume",
        ),
        pytest.param(snapshot(order("o1", "CONFIRMED"), available=7), "2: A: 7 available, expected 8", id="stock-lost"),
        pytest.param(
            snapshot(order("o1", "CONFIRMED"), available=8, restocked={"A": 1}),
            "2: A: 8 available, expected 9",
            id="restock-lost",
        ),
        pytest.param(
            snapshot(order("o1", "CANCELLED", reservation_status="RESERVED"), available=8),
            "2: CANCELLED order o1 still holds its stock",
            id="cancelled-holds-stock",
        ),
        pytest.param(
            snapshot(order("o1", "CONFIRMED", reservation_status="RELEASED"), available=10),
            "2: CONFIRMED order o1 has reservation RELEASED",
            id="confirmed-without-stock",
        ),
        pytest.param(
            snapshot(order("o1", "COMPENSATION_FAILED"), available=10),
            "2: A: 10 available, expected 8",
            id="held-stock-not-accounted",
        ),
        pytest.param(
            snapshot(order("o1", "CANCELLED", payment_status="CAPTURED"), available=10),
            "3: CANCELLED order o1 keeps a captured payment",
            id="cancelled-keeps-capture",
        ),
        pytest.param(
            snapshot(order("o1", "CONFIRMED", payment_status="DECLINED"), available=8),
            "3: captured 0 - refunded 0 = 0, expected 500 confirmed",
            id="confirmed-not-paid",
        ),
        pytest.param(
            snapshot(order("o1", "CONFIRMED", payment_cents=400), available=8),
            "3: CONFIRMED order o1 totals 500 but its payment is CAPTURED 400",
            id="confirmed-underpaid",
        ),
        pytest.param(
            snapshot(order("o1", "CONFIRMED", items={"A": 12}, reserved={"A": 12}), available=-2),
            "4: A has -2 available, below zero",
            id="negative-now",
        ),
        pytest.param(
            snapshot(order("o1", "CONFIRMED"), available=8, lowest_seen={"A": -1}),
            "4: A was seen at -1 available during the run",
            id="negative-while-running",
        ),
        pytest.param(
            snapshot(
                order("o1", "CONFIRMED", items={"A": 1}, reserved={"A": 1}, total_cents=250, payment_cents=250),
                order("o2", "CONFIRMED", items={"A": 1}, reserved={"A": 1}, total_cents=250, payment_cents=250),
                available=8,
                races=[Race("A", 1, ("o1", "o2"))],
            ),
            "4: race on A: 2 buyers for 1 units, 2 sold, expected 1",
            id="race-oversold",
        ),
        pytest.param(
            snapshot(order("o1", "CONFIRMED", history=("STARTED", "CONFIRMED")), available=8),
            "5: CONFIRMED order o1 has history",
            id="confirmed-skipped-steps",
        ),
        pytest.param(
            snapshot(
                order("o1", "CANCELLED", history=(*FORWARD, "STOCK_RELEASED", "PAYMENT_REFUNDED", "CANCELLED")),
                available=10,
            ),
            "5: CANCELLED order o1 undid out of order",
            id="undo-out-of-order",
        ),
        pytest.param(
            snapshot(order("o1", "CANCELLED", history=(*FORWARD, "PAYMENT_REFUNDED", "CANCELLED")), available=10),
            "5: CANCELLED order o1 has STOCK_RESERVED but no STOCK_RELEASED",
            id="undo-missing",
        ),
        pytest.param(
            snapshot(
                order(
                    "o1",
                    "CANCELLED",
                    history=("STARTED", "ORDER_CREATED", "STOCK_RELEASED", "STOCK_RESERVED", "CANCELLED"),
                ),
                available=10,
            ),
            "5: CANCELLED order o1: STOCK_RELEASED before STOCK_RESERVED",
            id="effect-after-its-undo",
        ),
        pytest.param(
            snapshot(
                order(
                    "o1",
                    "CANCELLED",
                    history=(*FORWARD, "CONFIRMED", "PAYMENT_REFUNDED", "STOCK_RELEASED", "CANCELLED"),
                ),
                available=10,
            ),
            "5: CANCELLED order o1 had been CONFIRMED",
            id="confirmed-then-undone",
        ),
        pytest.param(
            snapshot(order("o1", "CANCELLED", saga_status="COMPENSATION_FAILED"), available=10),
            "5: order o1 is CANCELLED but its saga log says COMPENSATION_FAILED",
            id="order-and-saga-disagree",
        ),
    ],
)
def test_each_violation_is_detected(snap, expected):
    violations = check(snap)
    assert any(violation.startswith(expected) for violation in violations), violations


# ------------------------------------------------------------------------- returns
def _returned_snapshot(**return_fields: object) -> Snapshot:
    """One CONFIRMED order of 3 x A at 10.00; a return of 2 units as `return_fields` say it ended."""
    order = OrderFacts(
        "o-r",
        "CONFIRMED",
        saga_status="CONFIRMED",
        total_cents=3000,
        items={"A": 3},
        reservation_status="RESERVED",
        reserved={"A": 3},
        payment_status="CAPTURED",
        payment_cents=3000,
        history=("STARTED", "ORDER_CREATED", "STOCK_RESERVED", "PAYMENT_CHARGED", "CONFIRMED"),
        returns_refunded_cents=2000,
    )
    facts: dict[str, Any] = {
        "return_id": "r-1",
        "order_id": "o-r",
        "status": "COMPLETED",
        "refund_cents": 2000,
        "units": {"A": 2},
    }
    facts.update(restocked=True, refunded=True, **return_fields)
    return Snapshot(orders=[order], initial_stock={"A": 10}, available={"A": 9}, returns=[ReturnFacts(**facts)])


def test_a_completed_return_is_counted_back_in_stock_and_out_of_the_money() -> None:
    assert check(_returned_snapshot()) == []


def test_a_cancelled_return_that_kept_its_refund_or_its_restock_is_a_violation() -> None:
    problems = check(_returned_snapshot(status="CANCELLED"))

    assert any(problem.startswith("6: CANCELLED return r-1") for problem in problems)
    assert any(problem.startswith("3: captured") for problem in problems)


def test_returns_of_more_units_than_bought_are_a_violation() -> None:
    snapshot = _returned_snapshot(units={"A": 4})

    assert any("more than bought" in problem for problem in check(snapshot))
