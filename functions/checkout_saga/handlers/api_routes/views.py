"""GET /orders/{orderId}: the order, its payment, its saga and its returns, assembled from their records;
GET /returns/{returnId}: a return and its saga."""

from checkout_saga.api_models import (
    OrderView,
    PaymentState,
    PaymentView,
    ReturnSummary,
    ReturnView,
    SagaView,
)
from checkout_saga.dal.interfaces import OrderRecords, ReturnRecords
from checkout_saga.models import (
    OrderStatus,
    Payment,
    PaymentStatus,
    ReturnRecord,
    ReturnStatus,
    SagaRecord,
    SagaState,
)


def may_have_returns(records: OrderRecords) -> bool:
    """Only a CONFIRMED order's returns can have done anything; the others' are REJECTED (GET /returns/{id})."""
    return records.order is not None and records.order.status is OrderStatus.CONFIRMED


# What a customer reads as a failure's cause: the error names the kind of failure (PaymentDeclined); its cause
# may name roles, tables or an operator's free-text reason, which only operators see.
CUSTOMER_CAUSE = "It did not complete; the store's operators can see why."


def view_order(
    order_id: str, records: OrderRecords, returns: list[ReturnRecord] | None = None, *, detailed: bool = False
) -> OrderView | None:
    """`detailed`: with the failure's own cause (operators). None if neither the order nor its saga exists.
    Just after POST /checkout answered, the saga is logged but CreateOrder may not have stored the order yet:
    the order is then PENDING, with no items."""
    order, saga = records.order, records.saga
    if order is not None:
        # The terminal steps update the order, then the saga log: taking the status from the saga log,
        # the item that also holds the history, means a client that sees CONFIRMED/CANCELLED also sees the
        # complete history, whatever the order in which the records were read.
        status = saga.status if saga is not None else order.status
        customer_id, items, total = order.customer_id, order.items, order.total_cents
    elif saga is not None:
        customer_id, status, items, total = saga.customer_id or "", saga.status, [], 0
    else:
        return None
    return OrderView(
        order_id=order_id,
        customer_id=customer_id,
        status=status,
        items=items,
        total_cents=total,
        payment=_payment_view(records.payment),
        saga=_saga_view(saga, detailed),
        returns=[
            ReturnSummary(return_id=record.return_id, status=record.status, refund_cents=record.refund_cents)
            for record in returns or []
        ],
    )


def _payment_view(payment: Payment | None) -> PaymentView:
    if payment is None or payment.status not in (PaymentStatus.CAPTURED, PaymentStatus.REFUNDED):
        return PaymentView(status=PaymentState.NONE, amount_cents=0)  # no outcome yet, declined, or voided
    amount = payment.amount_cents
    refunded = amount if payment.status is PaymentStatus.REFUNDED else min(payment.refunded_cents, amount)
    if refunded == 0:
        status = PaymentState.CAPTURED
    else:
        status = PaymentState.REFUNDED if refunded == amount else PaymentState.PARTIALLY_REFUNDED
    return PaymentView(status=status, amount_cents=amount, refunded_cents=refunded)


def view_return(return_id: str, records: ReturnRecords, *, detailed: bool = False) -> ReturnView | None:
    """`detailed`: as for orders. None if neither the return nor its saga exists. As for orders, the status is
    the saga log's once it has one, so a client that sees a final status also sees the complete history."""
    record, saga = records.record, records.saga
    if record is None:
        return None  # the API stores the return as soon as it starts its saga
    status = ReturnStatus(saga.status.value) if saga is not None else record.status
    return ReturnView(
        return_id=return_id,
        order_id=record.order_id,
        status=status,
        items=record.items,
        refund_cents=record.refund_cents,
        reason=record.reason or "",
        saga=_saga_view(saga, detailed),
    )


def _saga_view(saga: SagaRecord | None, detailed: bool) -> SagaView:
    if saga is None:  # an order stored without a saga log (not written through the state machine)
        return SagaView(state=SagaState.STARTED, history=[], failure=None)
    # The failure that matters most: an undo that could not complete, else what made the saga compensate.
    failure = saga.compensation_failure or saga.failure
    if failure is not None and not detailed:
        failure = failure.model_copy(update={"cause": CUSTOMER_CAUSE})
    return SagaView(
        state=saga.state,
        history=saga.history,
        failure=failure,
        coordination=saga.coordination,
    )
