"""GET /orders/{orderId}: the order, its payment and its saga, assembled from the three records."""

from checkout_saga.api_models import OrderView, PaymentState, PaymentView, SagaFailureView, SagaStep, SagaView
from checkout_saga.dal.interfaces import OrderRecords
from checkout_saga.models import Payment, PaymentStatus, SagaRecord, SagaState

_TAKEN = {PaymentStatus.CAPTURED: PaymentState.CAPTURED, PaymentStatus.REFUNDED: PaymentState.REFUNDED}


def view_order(order_id: str, records: OrderRecords) -> OrderView | None:
    """None if neither the order nor its saga exists. Just after POST /checkout answered, the saga is
    logged but CreateOrder may not have stored the order yet: the order is then PENDING, with no items."""
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
        saga=_saga_view(saga),
    )


def _payment_view(payment: Payment | None) -> PaymentView:
    taken = _TAKEN.get(payment.status) if payment is not None and payment.status is not None else None
    if payment is None or taken is None:  # no outcome yet, declined, or voided before any capture
        return PaymentView(status=PaymentState.NONE, amount_cents=0)
    return PaymentView(status=taken, amount_cents=payment.amount_cents)


def _saga_view(saga: SagaRecord | None) -> SagaView:
    if saga is None:  # an order stored without a saga log (not written through the state machine)
        return SagaView(state=SagaState.STARTED, history=[], failure=None)
    # The failure that matters most: an undo that could not complete, else what made the saga compensate.
    failure = saga.compensation_failure or saga.failure
    return SagaView(
        state=saga.state,
        history=[SagaStep(state=transition.state, at=transition.at) for transition in saga.history],
        failure=None
        if failure is None
        else SagaFailureView(step=failure.step, error=failure.error, cause=failure.cause or ""),
    )
