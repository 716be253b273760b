"""The saga's invariants (issue: all-or-nothing), checked over a snapshot of the stored data.
Pure functions over plain data, so each violation kind is unit-tested on crafted snapshots."""

from __future__ import annotations

from dataclasses import dataclass, field

FORWARD_TRAIL = ["ORDER_CREATED", "STOCK_RESERVED", "PAYMENT_CHARGED", "CONFIRMED"]
UNDO_ORDER = ["PAYMENT_REFUNDED", "STOCK_RELEASED", "CANCELLED"]
TERMINAL = {"CONFIRMED", "CANCELLED", "COMPENSATION_FAILED"}


@dataclass(frozen=True)
class OrderFacts:
    order_id: str
    status: str
    total_cents: int
    items: dict[str, int]  # sku -> quantity
    payment_status: str | None  # CAPTURED | REFUNDED | DECLINED | VOIDED | None
    payment_cents: int
    reservation_status: str | None  # RESERVED | RELEASED | None
    history: list[str]


@dataclass
class Snapshot:
    orders: list[OrderFacts]
    initial_stock: dict[str, int]  # sku -> units before the run (after the last restock)
    available: dict[str, int]  # sku -> units now
    race_sku: str | None = None
    race_units: int = 0
    race_buyers: list[str] = field(default_factory=list)  # order ids of the race


def check(snapshot: Snapshot) -> list[str]:
    """Every violation found, as readable sentences; [] when all invariants hold."""
    return [
        *_all_terminal(snapshot),
        *_stock_conserved(snapshot),
        *_money_conserved(snapshot),
        *_race_sold_exactly(snapshot),
        *_history_agrees(snapshot),
    ]


def _all_terminal(snapshot: Snapshot) -> list[str]:
    return [f"1: order {o.order_id} is {o.status}, not terminal" for o in snapshot.orders if o.status not in TERMINAL]


def _stock_conserved(snapshot: Snapshot) -> list[str]:
    problems = []
    held: dict[str, int] = dict.fromkeys(snapshot.initial_stock, 0)
    for order in snapshot.orders:
        if order.reservation_status == "RESERVED":
            if order.status not in ("CONFIRMED", "COMPENSATION_FAILED"):
                problems.append(f"2: {order.status} order {order.order_id} still holds its stock")
            for sku, quantity in order.items.items():
                held[sku] = held.get(sku, 0) + quantity
        elif order.status == "CONFIRMED":
            problems.append(f"2: CONFIRMED order {order.order_id} holds no stock reservation")
    for sku, initial in snapshot.initial_stock.items():
        now = snapshot.available.get(sku, 0)
        if now < 0:
            problems.append(f"4: {sku} has {now} available, below zero")
        if now != initial - held[sku]:
            problems.append(f"2: {sku}: {now} available, expected {initial} - {held[sku]} held = {initial - held[sku]}")
    return problems


def _money_conserved(snapshot: Snapshot) -> list[str]:
    problems = []
    captured = sum(o.payment_cents for o in snapshot.orders if o.payment_status == "CAPTURED")
    confirmed = sum(o.total_cents for o in snapshot.orders if o.status == "CONFIRMED")
    failed_holding = sum(
        o.payment_cents for o in snapshot.orders if o.status == "COMPENSATION_FAILED" and o.payment_status == "CAPTURED"
    )
    if captured - failed_holding != confirmed:
        problems.append(
            f"3: captured {captured} (of which {failed_holding} in COMPENSATION_FAILED) != confirmed {confirmed}"
        )
    for order in snapshot.orders:
        if order.status == "CANCELLED" and order.payment_status == "CAPTURED":
            problems.append(f"3: CANCELLED order {order.order_id} keeps a captured payment")
        if order.status == "CONFIRMED" and (order.payment_status, order.payment_cents) != (
            "CAPTURED",
            order.total_cents,
        ):
            problems.append(
                f"3: CONFIRMED order {order.order_id} has payment {order.payment_status} {order.payment_cents}"
            )
    return problems


def _race_sold_exactly(snapshot: Snapshot) -> list[str]:
    if not snapshot.race_sku:
        return []
    buyers = set(snapshot.race_buyers)
    sold = sum(
        o.items.get(snapshot.race_sku, 0) for o in snapshot.orders if o.order_id in buyers and o.status == "CONFIRMED"
    )
    expected = min(snapshot.race_units, len(buyers))
    return [] if sold == expected else [f"4: race on {snapshot.race_sku}: {sold} units sold, expected {expected}"]


def _subsequence(wanted: list[str], history: list[str]) -> bool:
    remaining = iter(history)
    return all(state in remaining for state in wanted)


def _history_agrees(snapshot: Snapshot) -> list[str]:
    problems = []
    for order in snapshot.orders:
        history = order.history
        if order.status == "CONFIRMED":
            if not _subsequence(FORWARD_TRAIL, history) or any(state in history for state in UNDO_ORDER):
                problems.append(f"5: CONFIRMED order {order.order_id} has history {history}")
        elif order.status == "CANCELLED":
            undone = [state for state in history if state in UNDO_ORDER]
            if undone != sorted(undone, key=UNDO_ORDER.index) or not history or history[-1] != "CANCELLED":
                problems.append(f"5: CANCELLED order {order.order_id}: compensations out of order: {history}")
            if "STOCK_RESERVED" in history and "STOCK_RELEASED" not in history:
                problems.append(f"5: CANCELLED order {order.order_id} reserved stock but never released it")
            if "PAYMENT_CHARGED" in history and "PAYMENT_REFUNDED" not in history:
                problems.append(f"5: CANCELLED order {order.order_id} was charged but never refunded")
    return problems
