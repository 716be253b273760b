"""What the invariant checker needs, read from a deployed stack through the project's own repositories."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from saga_client.chaos_driver import SagaRun
from saga_client.invariants import OrderFacts
from saga_client.stack_data import StackData


def order_facts(stack: StackData, run: SagaRun) -> OrderFacts:
    records = stack.order_records.read(run.order_id)
    order, payment, saga = records.order, records.payment, records.saga
    reservation = stack.inventory.get_reservation(run.order_id)
    saga_status = saga.status.value if saga else None
    return OrderFacts(
        order_id=run.order_id,
        status=order.status.value if order else (saga_status or "MISSING"),
        saga_status=saga_status,
        total_cents=order.total_cents if order else 0,
        items={item.sku: item.quantity for item in order.items} if order else {},
        reservation_status=reservation.status.value if reservation else None,
        reserved={item.sku: item.quantity for item in reservation.items} if reservation else {},
        payment_status=payment.status.value if payment and payment.status else None,
        payment_cents=payment.amount_cents if payment else 0,
        history=tuple(transition.state.value for transition in saga.history) if saga else (),
        reported=tuple(status for status in (run.first_final, run.reported_status) if status is not None),
        resumed=run.resumed,
        returns_refunded_cents=payment.refunded_cents if payment else 0,
    )


def collect(stack: StackData, runs: Iterable[SagaRun], workers: int = 8) -> list[OrderFacts]:
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda run: order_facts(stack, run), runs))


def orders_of(stack: StackData, customer_id: str, sku_prefix: str) -> list[str]:
    """The ids of the customer's orders that hold a sku starting with `sku_prefix` (a chaos run's own skus)."""
    found: list[str] = []
    page_key = None
    while True:
        orders, page_key = stack.orders.list_by_customer(customer_id, 100, page_key)
        found += [o.order_id for o in orders if any(item.sku.startswith(sku_prefix) for item in o.items)]
        if page_key is None:
            return found


def fingerprint(stack: StackData, order_id: str, skus: list[str]) -> dict[str, Any]:
    """Everything a step may write for one order, timestamps included, and the stock of its skus: a step
    delivered again must leave all of it exactly as it was."""
    read = stack.order_records.read(order_id)
    records = {
        "order": read.order,
        "reservation": stack.inventory.get_reservation(order_id),
        "payment": read.payment,
        "saga": read.saga,
    }
    found: dict[str, Any] = {name: record.to_payload() if record else None for name, record in records.items()}
    found["available"] = stack.raw_available(skus)
    return found
