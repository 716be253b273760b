"""What compensations do first: settle the pivot (the undo may begin only if the order is not CONFIRMED),
keep the forward failure that sent the saga into reverse, and name the COMPENSATION_FAILED mark a resume ends."""

from checkout_saga.dal.interfaces import ANY_MARK, OrdersRepository, ResumedMark, SagaLogRepository
from checkout_saga.errors import OrderConfirmed
from checkout_saga.models import FlowContext, OrderStatus, SagaContext, SagaFailure


def fence_order(context: SagaContext, orders: OrdersRepository, now: str) -> None:
    """RefundPayment is the first undo of every saga that reached ConfirmOrder. From here on the order can no
    longer be confirmed (not even by a ConfirmOrder still in flight); if it already was, ConfirmOrder took
    effect and only its answer was lost: the checkout passed its pivot, so raise OrderConfirmed, undo nothing."""
    order = orders.fence(context.order_id, now)
    if order is not None and order.status is OrderStatus.CONFIRMED:
        raise OrderConfirmed(f"order {context.order_id} is CONFIRMED: the checkout passed its pivot, nothing is undone")


def note_failure(context: FlowContext, saga_log: SagaLogRepository, now: str) -> SagaFailure | None:
    """Record the failing step, error and cause once; return it only when this call recorded it."""
    if context.failed_step is None or context.failure is None:
        return None  # resumed compensation, or a compensation invoked by hand
    failure = SagaFailure(step=context.failed_step.value, error=context.failure.Error, cause=context.failure.message)
    kept = saga_log.record_failure(context.saga_id, failure, now, customer_id=_customer_of(context))
    return failure if kept else None


def note_compensation_failure(context: FlowContext, saga_log: SagaLogRepository, now: str) -> None:
    """Keep the undo that kept failing (its step, error and cause), once."""
    if context.failed_compensation is not None and context.compensation_failure is not None:
        saga_log.record_failure(
            context.saga_id,
            SagaFailure(
                step=context.failed_compensation.value,
                error=context.compensation_failure.Error,
                cause=context.compensation_failure.message,
            ),
            now,
            compensation=True,
            customer_id=_customer_of(context),
        )


def resumed_mark(context: FlowContext) -> ResumedMark | None:
    """The COMPENSATION_FAILED mark the undo may end: the one its resume was started for; None for an execution's
    own undo, which leaves a marked saga alone (docs/adr/0012). A resume started by hand, with no mark named, ends
    whichever is stored (ANY_MARK), as resumes did before marks were counted."""
    if context.resume_compensation is not True:
        return None
    return context.resumes_failure if context.resumes_failure is not None else ANY_MARK


def _customer_of(context: FlowContext) -> str | None:
    """Whose saga it is, as its document says: a checkout's names its customer (a return's customer is its
    order's, stored before the return began). Kept with the failure, whose event must name it (docs/events.md)."""
    return context.customer_id if isinstance(context, SagaContext) else None
