"""Finishing the undo of a saga stuck in COMPENSATION_FAILED once its cause is gone: a new execution of the
same state machine with {"orderId", "resumeCompensation": true}. Its Choice state jumps to RefundPayment and
every compensation runs again; they are idempotent, so those that had already run change nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from saga_client.stack_data import StackData


class NotResumable(RuntimeError):
    pass


@dataclass(frozen=True)
class Resumed:
    order_id: str
    execution_arn: str
    execution_status: str  # FAILED is expected: a finished undo ends in the Fail state CheckoutCancelled
    order_status: str


def current_status(stack: StackData, order_id: str) -> str | None:
    """The order's status; the saga log's when the saga failed before storing an order; None if unknown."""
    order = stack.orders.get(order_id)
    if order is not None:
        return order.status.value
    saga = stack.saga_log.get(order_id)
    return saga.status.value if saga is not None else None


def resume_execution_name(order_id: str) -> str:
    # Execution names are unique per state machine (the first one is the order id) and at most 80 characters.
    return f"{order_id[:62]}-resume-{uuid.uuid4().hex[:10]}"


def resume_compensation(stack: StackData, order_id: str, timeout: float = 180.0) -> Resumed:
    """Start the resume execution and wait until it ends. Refuses unless the order is COMPENSATION_FAILED."""
    status = current_status(stack, order_id)
    if status is None:
        raise NotResumable(f"no order {order_id}")
    if status != "COMPENSATION_FAILED":
        raise NotResumable(f"order {order_id} is {status}: only a COMPENSATION_FAILED saga can be resumed")
    execution_arn = stack.start({"orderId": order_id, "resumeCompensation": True}, resume_execution_name(order_id))
    execution_status = str(stack.wait(execution_arn, timeout, interval=0.1)["status"])
    return Resumed(order_id, execution_arn, execution_status, current_status(stack, order_id) or "MISSING")
