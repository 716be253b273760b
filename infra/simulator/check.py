"""The invariants after a schedule: the chaos suite's own (saga_client.invariants), plus one of the simulator's:
each saga ends exactly once, in a state its data agrees with."""

from __future__ import annotations

from saga_client.invariants import TERMINAL, OrderFacts, ReturnFacts, Snapshot, check
from saga_client.stack_data import StackData

ENDING_STATUS = {"CheckoutSucceeded": "CONFIRMED", "CheckoutCancelled": "CANCELLED"}
ENDING_STATUS["CompensationFailed"] = "COMPENSATION_FAILED"


def snapshot_of(
    orders: list[OrderFacts], returns: list[ReturnFacts], stack: StackData, restocked: dict[str, int]
) -> Snapshot:
    from simulator.simulation import PRODUCTS

    skus = [sku for sku, _, _ in PRODUCTS]
    initial = {sku: units for sku, _, units in PRODUCTS}
    return Snapshot(orders, initial, stack.raw_available(skus), restocked=restocked, returns=returns)


def violations(snapshot: Snapshot, endings: dict[str, list[str]]) -> list[str]:
    return [*check(snapshot), *[v for o in snapshot.orders for v in ended_once(o, endings.get(o.order_id, []))]]


def ended_once(order: OrderFacts, endings: list[str]) -> list[str]:
    """The saga log records one ending (a COMPENSATION_FAILED saga may end again, CANCELLED, only when an operator
    resumed it); the execution that ended last said what the data says."""
    ends = [state for state in order.history if state in TERMINAL]
    problems = []
    if len(ends) > 1 and not (order.resumed and ends == ["COMPENSATION_FAILED", "CANCELLED"]):
        problems.append(f"7: order {order.order_id} ended {len(ends)} times: {ends}")
    if endings and ENDING_STATUS.get(endings[-1], order.status) != order.status:
        problems.append(f"7: order {order.order_id}'s execution ended in {endings[-1]} but the order is {order.status}")
    return problems
