"""The chaos checker detects each kind of violation (and passes a consistent snapshot)."""

import pytest

from saga_client.invariants import OrderFacts, Snapshot, check

FULL = ["STARTED", "ORDER_CREATED", "STOCK_RESERVED", "PAYMENT_CHARGED"]


def order(order_id: str, status: str, **overrides) -> OrderFacts:
    defaults = {
        "CONFIRMED": {
            "payment_status": "CAPTURED",
            "payment_cents": 500,
            "reservation_status": "RESERVED",
            "history": [*FULL, "CONFIRMED"],
        },
        "CANCELLED": {
            "payment_status": "REFUNDED",
            "payment_cents": 500,
            "reservation_status": "RELEASED",
            "history": [*FULL, "PAYMENT_REFUNDED", "STOCK_RELEASED", "CANCELLED"],
        },
        "COMPENSATION_FAILED": {
            "payment_status": "REFUNDED",
            "payment_cents": 500,
            "reservation_status": "RESERVED",
            "history": [*FULL, "PAYMENT_REFUNDED", "COMPENSATION_FAILED"],
        },
        "PENDING": {"payment_status": None, "payment_cents": 0, "reservation_status": None, "history": ["STARTED"]},
    }[status]
    fields = {"total_cents": 500, "items": {"A": 2}, **defaults, **overrides}
    return OrderFacts(order_id=order_id, status=status, **fields)


def snapshot(*orders: OrderFacts, available: int = 6, **extra) -> Snapshot:
    return Snapshot(orders=list(orders), initial_stock={"A": 10}, available={"A": available}, **extra)


def test_a_consistent_run_has_no_violation():
    snap = snapshot(order("o1", "CONFIRMED"), order("o2", "CANCELLED"), order("o3", "COMPENSATION_FAILED"))
    assert check(snap) == []


@pytest.mark.parametrize(
    ("snap", "invariant"),
    [
        (snapshot(order("o1", "PENDING"), available=10), "1:"),
        (snapshot(order("o1", "CONFIRMED"), available=7), "2:"),
        (snapshot(order("o1", "CANCELLED", reservation_status="RESERVED"), available=8), "2:"),
        (snapshot(order("o1", "CANCELLED", payment_status="CAPTURED"), available=10), "3:"),
        (snapshot(order("o1", "CONFIRMED", payment_status="DECLINED"), available=8), "3:"),
        (snapshot(order("o1", "CONFIRMED", items={"A": 12}), available=-2), "4:"),
        (
            snapshot(
                order("o1", "CONFIRMED"),
                order("o2", "CONFIRMED"),
                available=6,
                race_sku="A",
                race_units=1,
                race_buyers=["o1", "o2"],
            ),
            "4: race",
        ),
        (snapshot(order("o1", "CONFIRMED", history=["STARTED", "CONFIRMED"]), available=8), "5:"),
        (
            snapshot(
                order("o1", "CANCELLED", history=[*FULL, "STOCK_RELEASED", "PAYMENT_REFUNDED", "CANCELLED"]),
                available=10,
            ),
            "5:",
        ),
        (snapshot(order("o1", "CANCELLED", history=[*FULL[:3], "CANCELLED"], payment_status=None), available=10), "5:"),
    ],
)
def test_each_violation_is_detected(snap, invariant):
    violations = check(snap)
    assert any(v.startswith(invariant) for v in violations), violations
