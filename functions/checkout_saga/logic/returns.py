"""The return saga: ValidateReturn -> RefundReturn -> RestockReturn -> CompleteReturn; on failure, undone in
reverse by UnstockReturn -> VoidReturnRefund -> CancelReturn (which gives the claimed units back to the order).

ValidateReturn refuses (REJECTED, nothing refunded or restocked) a return that breaks a rule of `return_problems`.
Compensations read what to undo from the data (the restock record, the return), not from the payload, so they
also work when resumed by hand with only the return id."""

from __future__ import annotations

from datetime import timedelta

from checkout_saga.clock import parse_iso
from checkout_saga.dal.interfaces import (
    ANY_MARK,
    InventoryRepository,
    OrdersRepository,
    PaymentsRepository,
    ReturnsRepository,
    SagaLogRepository,
)
from checkout_saga.errors import (
    ReturnCompleted,
    ReturnNotAllowed,
    SagaAlreadyCompensated,
    SagaGivenUp,
    TransientStepError,
    UnknownOrder,
)
from checkout_saga.logic.compensation import note_compensation_failure, resumed_mark
from checkout_saga.logic.results import StepResult, advance
from checkout_saga.models import (
    LineItem,
    Order,
    OrderStatus,
    PricedItem,
    RestockStatus,
    ReturnContext,
    ReturnInput,
    ReturnRecord,
    ReturnStatus,
    SagaFailure,
    SagaState,
    StepName,
)

MAX_CLAIM_ROUNDS = 5  # concurrent returns of one order may each win once; past this, retry the step later


# ------------------------------------------------------------------------ rules
def return_problems(order: Order | None, items: list[LineItem], now: str, window_days: int) -> list[str]:
    """Why the return of `items` from `order` is not allowed (empty when it is): the order must be CONFIRMED,
    younger than the return window, and each item bought, in at most the units not yet returned."""
    if order is None:
        return ["no such order"]
    problems: list[str] = []
    if order.status is not OrderStatus.CONFIRMED:
        problems.append(f"order {order.order_id} is {order.status.value}; only a CONFIRMED order can be returned")
    if parse_iso(now) - parse_iso(order.created_at) > timedelta(days=window_days):
        problems.append(f"order {order.order_id} was placed more than {window_days} days ago")
    bought = {item.sku: item.quantity for item in order.items}
    for item in items:
        if item.sku not in bought:
            problems.append(f"{item.sku} was not bought in order {order.order_id}")
            continue
        left = bought[item.sku] - order.returned_units.get(item.sku, 0)
        if item.quantity > left:
            problems.append(f"{item.sku}: {item.quantity} returned, only {left} of {bought[item.sku]} bought may be")
    return problems


def priced(order: Order, items: list[LineItem]) -> list[PricedItem]:
    """The returned items at the unit price the order paid."""
    paid = {item.sku: item.unit_price_cents for item in order.items}
    return [PricedItem(sku=item.sku, quantity=item.quantity, unit_price_cents=paid[item.sku]) for item in items]


def units_after(returned: dict[str, int], items: list[LineItem], sign: int) -> dict[str, int]:
    """The order's returned units once `items` are claimed (sign 1) or given back (sign -1)."""
    units = dict(returned)
    for item in items:
        units[item.sku] = max(0, units.get(item.sku, 0) + sign * item.quantity)
    return units


# ----------------------------------------------------------------- forward steps
def validate_return(
    request: ReturnInput,
    orders: OrdersRepository,
    returns: ReturnsRepository,
    saga_log: SagaLogRepository,
    window_days: int,
    now: str,
) -> StepResult:
    started = saga_log.record(request.return_id, SagaState.STARTED, now)
    record = returns.create(
        ReturnRecord.new(request.return_id, request.order_id, ReturnStatus.PENDING, request.items, request.reason, now)
    )
    for _ in range(MAX_CLAIM_ROUNDS):
        if record.status is ReturnStatus.REJECTED:
            _log_rejection(record, saga_log, now)
        if record.validated_at is not None:
            break
        if record.status is not ReturnStatus.PENDING:
            raise SagaAlreadyCompensated(f"return {record.return_id} is already {record.status.value}")
        order = orders.get(record.order_id)
        problems = return_problems(order, record.items, now, window_days)
        if problems:
            record = returns.reject(record.return_id, "; ".join(problems), now) or record
            continue
        assert order is not None
        items = priced(order, record.items)
        validated = record.model_copy(
            update={
                "items": [item.as_line() for item in items],
                "refund_cents": sum(item.subtotal_cents for item in items),
                "validated_at": now,
            }
        )
        if returns.claim(validated, order, units_after(order.returned_units, record.items, 1)):
            record = validated
            break
        record = returns.get(record.return_id) or record  # another return of the order claimed first
    else:
        raise TransientStepError(f"the order of return {request.return_id} kept changing; try again")
    saga_log.record(record.return_id, SagaState.RETURN_VALIDATED, now)
    context = ReturnContext(
        return_id=record.return_id,
        order_id=record.order_id,
        items=record.items,
        reason=record.reason,
        refund_cents=record.refund_cents,
    )
    return StepResult(context, transitioned=started)


def _log_rejection(record: ReturnRecord, saga_log: SagaLogRepository, now: str) -> None:
    """A rejected return ends here: the saga log says why, and ReturnNotAllowed stops the saga."""
    cause = record.rejection or "the return is not allowed"
    failure = SagaFailure(step=StepName.VALIDATE_RETURN.value, error=ReturnNotAllowed.__name__, cause=cause)
    saga_log.record_failure(record.return_id, failure, now)
    saga_log.record(record.return_id, SagaState.REJECTED, now, status=ReturnStatus.REJECTED)
    raise ReturnNotAllowed(cause)


def refund_return(
    context: ReturnContext, payments: PaymentsRepository, saga_log: SagaLogRepository, now: str
) -> StepResult:
    if context.order_id is None or context.refund_cents is None:
        raise ValueError("RefundReturn needs orderId and refundCents (they come from ValidateReturn)")
    payment = payments.refund_return(context.order_id, context.return_id, context.refund_cents)
    if context.return_id in payment.voided_returns:
        raise SagaAlreadyCompensated(f"the refund of return {context.return_id} was already voided")
    return advance(context, saga_log, SagaState.RETURN_REFUNDED, now)


def restock_return(
    context: ReturnContext, inventory: InventoryRepository, saga_log: SagaLogRepository, now: str
) -> StepResult:
    items = [item.as_priced() for item in context.items]
    restock = inventory.restock_return(context.return_id, items)
    if restock.status is RestockStatus.UNSTOCKED:
        raise SagaAlreadyCompensated(f"the restock of return {context.return_id} was already undone")
    return advance(context, saga_log, SagaState.RETURN_RESTOCKED, now)


def complete_return(
    context: ReturnContext, returns: ReturnsRepository, saga_log: SagaLogRepository, now: str
) -> StepResult:
    record = returns.complete(context.return_id, now)
    if record is None:
        raise UnknownOrder(f"no return {context.return_id}")
    if record.status is not ReturnStatus.COMPLETED:
        raise SagaAlreadyCompensated(f"return {context.return_id} is {record.status.value}, it cannot complete")
    return advance(context, saga_log, SagaState.COMPLETED, now, status=ReturnStatus.COMPLETED)


# ----------------------------------------------------------------- compensations
def fence_return(context: ReturnContext, returns: ReturnsRepository, now: str) -> None:
    """UnstockReturn is the first undo of every return saga that reached CompleteReturn: from here on the return
    can no longer complete; if it already has, only CompleteReturn's answer was lost: undo nothing."""
    record = returns.fence(context.return_id, now)
    if record is not None and record.status is ReturnStatus.COMPLETED:
        raise ReturnCompleted(f"return {context.return_id} is COMPLETED: nothing is undone")


def unstock_return(
    context: ReturnContext, inventory: InventoryRepository, saga_log: SagaLogRepository, now: str
) -> StepResult:
    inventory.unstock_return(context.return_id)
    return advance(context, saga_log, SagaState.RETURN_UNSTOCKED, now)


def void_return_refund(
    context: ReturnContext,
    returns: ReturnsRepository,
    payments: PaymentsRepository,
    saga_log: SagaLogRepository,
    now: str,
) -> StepResult:
    record = returns.get(context.return_id)
    if record is not None and record.validated_at is not None:  # not validated: no refund was ever due
        payments.void_return_refund(record.order_id, record.return_id, record.refund_cents)
    return advance(context, saga_log, SagaState.REFUND_VOIDED, now)


def cancel_return(
    context: ReturnContext,
    orders: OrdersRepository,
    returns: ReturnsRepository,
    saga_log: SagaLogRepository,
    now: str,
) -> StepResult:
    """Undo ValidateReturn: the return ends CANCELLED and its claim on the order's units is given back. As for
    CancelOrder (docs/adr/0006-the-order-decides-how-the-saga-ends.md), the return's own status decides: a return
    marked COMPENSATION_FAILED is cancelled only by its resume, whichever write comes first."""
    resumes = resumed_mark(context)
    for _ in range(MAX_CLAIM_ROUNDS):
        record = returns.get(context.return_id)
        if record is None:
            if context.order_id is None:
                raise UnknownOrder(f"no return {context.return_id}")
            # ValidateReturn failed before storing the return: keep a CANCELLED one so GET /returns/{id} answers
            # and a ValidateReturn delivered late cannot validate it any more.
            record = returns.create(
                ReturnRecord.new(
                    context.return_id, context.order_id, ReturnStatus.CANCELLED, context.items, context.reason, now
                )
            )
        given_up = record.status is ReturnStatus.COMPENSATION_FAILED
        if given_up and resumes not in (ANY_MARK, record.compensation_failures):
            raise SagaGivenUp(f"return {context.return_id} was marked COMPENSATION_FAILED: only its resume undoes it")
        if record.status not in (ReturnStatus.PENDING, ReturnStatus.COMPENSATION_FAILED):
            break  # CANCELLED already (a retry), or REJECTED/COMPLETED: nothing of ours to undo
        order = orders.get(record.order_id) if record.validated_at is not None else None
        released = units_after(order.returned_units, record.items, -1) if order is not None else {}
        if returns.cancel(record, order, released, now, resumes=resumes):
            break  # else refused: marked or changed since the read; read again and decide again
    else:
        raise TransientStepError(f"the order of return {context.return_id} kept changing; try again")
    return advance(context, saga_log, SagaState.CANCELLED, now, status=ReturnStatus.CANCELLED)


def settle_return_pivot(context: ReturnContext, returns: ReturnsRepository) -> None:
    """Before a return saga is marked COMPENSATION_FAILED, look at what really happened: COMPLETED means
    CompleteReturn took effect (ReturnCompleted: the saga succeeds); CANCELLED means the undo completed and
    only CancelReturn's answer was lost (SagaAlreadyCompensated)."""
    record = returns.get(context.return_id)
    if record is not None and record.status is ReturnStatus.COMPLETED:
        raise ReturnCompleted(f"return {context.return_id} is COMPLETED: nothing is undone")
    if record is not None and record.status is ReturnStatus.CANCELLED:
        raise SagaAlreadyCompensated(f"return {context.return_id} is already CANCELLED: the undo had completed")


def mark_return_compensation_failed(
    context: ReturnContext, returns: ReturnsRepository, saga_log: SagaLogRepository, now: str
) -> StepResult:
    note_compensation_failure(context, saga_log, now)
    record = returns.mark_compensation_failed(context.return_id, now, again=context.resume_compensation is True)
    if record is not None and record.status is ReturnStatus.CANCELLED:
        # A CancelReturn delivered late completed the undo since settle_return_pivot looked: the return says
        # CANCELLED, so does the saga.
        raise SagaAlreadyCompensated(f"return {context.return_id} is already CANCELLED: the undo had completed")
    recorded = saga_log.record(
        context.return_id, SagaState.COMPENSATION_FAILED, now, status=ReturnStatus.COMPENSATION_FAILED
    )
    return StepResult(context, transitioned=recorded)
