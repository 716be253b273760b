"""Operator actions on a running or stuck checkout saga (POST /sagas/{orderId}/resume and /compensate).

Both start a new execution of the checkout state machine with {"orderId", "resumeCompensation": true,
"resumesFailure": n}: its Choice state jumps to RefundPayment and every compensation runs; they are idempotent and
read what to undo from the data, so those that have nothing to undo change nothing. `n` is the saga's
compensationFailures when the action started: its CancelOrder ends that COMPENSATION_FAILED mark and no later one,
such as the one its own undo makes if it is given up in turn (docs/adr/0012)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from checkout_saga.dal.interfaces import (
    OrdersRepository,
    ReturnsRepository,
    SagaController,
    SagaLogRepository,
    SagaStarter,
)
from checkout_saga.errors import UnknownOrder
from checkout_saga.models import Order, OrderStatus, ReturnStatus, SagaFailure, SagaState, StepName
from checkout_saga.saga_definition import CHECKOUT

FORCED = "ForcedCompensation"  # saga.failure.error of a compensation an operator forced


def step_after(state: SagaState) -> StepName:
    """The step a checkout that last logged `state` was running, or about to run."""
    return StepName(CHECKOUT.step_after(state))


class NotAllowedNow(RuntimeError):
    """The saga is not in a state that allows the action (the API answers 409)."""


@dataclass(frozen=True)
class UndoStarted:
    saga_id: str  # the order's id (a checkout) or the return's
    execution_arn: str


def undo_execution_name(order_id: str, kind: str) -> str:
    """Execution names are unique per state machine (the first is the order id) and at most 80 characters."""
    return f"{order_id[: 80 - len(kind) - 12]}-{kind}-{uuid.uuid4().hex[:10]}"


def current_status(order_id: str, orders: OrdersRepository, saga_log: SagaLogRepository) -> OrderStatus:
    """The order's status; the saga log's when the saga failed before storing an order."""
    return _current(order_id, orders, saga_log)[0]


def _current(order_id: str, orders: OrdersRepository, saga_log: SagaLogRepository) -> tuple[OrderStatus, Order | None]:
    """The status (as current_status) and the stored order, if any, from one read of it."""
    order = orders.get(order_id)
    if order is not None:
        return order.status, order
    saga = saga_log.get(order_id)
    if saga is None:
        raise UnknownOrder(f"no order {order_id}")
    return OrderStatus(saga.status.value), None


def resume(order_id: str, orders: OrdersRepository, saga_log: SagaLogRepository, starter: SagaStarter) -> UndoStarted:
    """Run the undo of a COMPENSATION_FAILED saga again (once its cause is gone)."""
    status, order = _current(order_id, orders, saga_log)
    if status is not OrderStatus.COMPENSATION_FAILED:
        raise NotAllowedNow(f"order {order_id} is {status.value}: only a COMPENSATION_FAILED saga can be resumed")
    document = undo_document("orderId", order_id, order.compensation_failures if order is not None else 0)
    return UndoStarted(order_id, starter.start(undo_execution_name(order_id, "resume"), document))


def undo_document(id_field: str, saga_id: str, resumes_failure: int) -> dict[str, object]:
    """The input of an execution that runs a saga's undo from its first compensation (a resume, a forced undo)."""
    return {id_field: saga_id, "resumeCompensation": True, "resumesFailure": resumes_failure}


def resume_return(
    return_id: str, returns: ReturnsRepository, saga_log: SagaLogRepository, starter: SagaStarter
) -> UndoStarted:
    """Run the undo of a COMPENSATION_FAILED return saga again (once its cause is gone)."""
    saga = saga_log.get(return_id)
    record = returns.get(return_id)
    if saga is None and record is None:
        raise UnknownOrder(f"no return {return_id}")
    status = str(saga.status if saga is not None else record.status if record is not None else "")
    if status != ReturnStatus.COMPENSATION_FAILED:  # by value: the saga log's statuses are either kind's
        raise NotAllowedNow(f"return {return_id} is {status}: only a COMPENSATION_FAILED saga can be resumed")
    document = undo_document("returnId", return_id, record.compensation_failures if record is not None else 0)
    return UndoStarted(return_id, starter.start(undo_execution_name(return_id, "resume"), document))


def force_compensation(
    order_id: str,
    reason: str,
    orders: OrdersRepository,
    saga_log: SagaLogRepository,
    controller: SagaController,
    now: str,
) -> UndoStarted:
    """Stop a running saga and undo it in reverse from where it is. The order is fenced first, as RefundPayment
    does: a ConfirmOrder still in flight can no longer confirm it, so the order ends CONFIRMED with nothing undone
    (if the confirmation came first: NotAllowedNow) or CANCELLED with everything undone, never in between."""
    status = current_status(order_id, orders, saga_log)  # UnknownOrder if there is nothing at all
    order = orders.fence(order_id, now)
    if order is None:
        raise NotAllowedNow(f"order {order_id} is {status.value} and not stored yet; try again in a moment")
    if order.status is OrderStatus.CONFIRMED:
        raise NotAllowedNow(f"order {order_id} is CONFIRMED: the checkout passed its pivot, nothing can be undone")
    if order.status is not OrderStatus.PENDING:
        raise NotAllowedNow(f"order {order_id} is {order.status.value}: its saga has ended")
    saga = saga_log.get(order_id)
    step = step_after(saga.state) if saga is not None else StepName.CREATE_ORDER
    failure = SagaFailure(step=step.value, error=FORCED, cause=reason or "compensation forced by an operator")
    saga_log.record_failure(order_id, failure, now)
    controller.stop(order_id, FORCED, failure.cause)
    document = undo_document("orderId", order_id, order.compensation_failures)  # PENDING: never marked, 0
    return UndoStarted(order_id, controller.start(undo_execution_name(order_id, "compensate"), document))
