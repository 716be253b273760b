"""The orders bounded context: CreateOrder, ConfirmOrder, CancelOrder, and the terminal
COMPENSATION_FAILED mark."""

from checkout_saga.dal.interfaces import (
    InventoryRepository,
    LogAppend,
    OrdersRepository,
    PaymentsRepository,
    SagaLogRepository,
)
from checkout_saga.errors import (
    OrderConfirmed,
    PaymentNotCaptured,
    SagaAlreadyCompensated,
    SagaGivenUp,
    UnknownOrder,
    UnknownProduct,
)
from checkout_saga.logic.compensation import note_compensation_failure, resumed_mark
from checkout_saga.logic.results import StepResult, advance
from checkout_saga.models import (
    CheckoutInput,
    LineItem,
    Order,
    OrderStatus,
    PaymentStatus,
    PricedItem,
    SagaContext,
    SagaState,
)

_UNDONE = frozenset({OrderStatus.CANCELLED, OrderStatus.COMPENSATION_FAILED})


def price_items(items: list[LineItem], catalog: InventoryRepository) -> list[PricedItem]:
    """Keep the prices the API already fixed; take the others from the catalog."""
    unpriced = [item.sku for item in items if item.unit_price_cents is None]
    products = catalog.get_products(unpriced) if unpriced else {}
    unknown = [sku for sku in unpriced if sku not in products]
    if unknown:
        raise UnknownProduct(f"unknown sku: {', '.join(unknown)}")
    return [
        PricedItem(
            sku=item.sku,
            quantity=item.quantity,
            unit_price_cents=item.unit_price_cents
            if item.unit_price_cents is not None
            else products[item.sku].unit_price_cents,
        )
        for item in items
    ]


def create_order(
    request: CheckoutInput,
    catalog: InventoryRepository,
    orders: OrdersRepository,
    saga_log: SagaLogRepository,
    now: str,
) -> StepResult:
    order_id = request.order_id
    try:
        items = price_items(request.items, catalog)
    except UnknownProduct:
        saga_log.record(order_id, SagaState.STARTED, now, customer_id=request.customer_id)  # it failed, but it ran
        raise
    order = Order.new(order_id, request.customer_id, OrderStatus.PENDING, items, now)
    # One write: the order and ORDER_CREATED together (and STARTED first, if the API has not logged it yet).
    log = saga_log.pending(
        order_id,
        SagaState.ORDER_CREATED,
        now,
        customer_id=request.customer_id,
        opens_with=SagaState.STARTED,
        document=_saga_document(order, request),
    )
    stored = orders.create(order, log=log)
    if stored.status in _UNDONE:
        raise SagaAlreadyCompensated(f"order {order_id} is already {stored.status.value}")
    context = _saga_document(stored, request)  # a retry hands on the order stored first
    # Not appended with the order: stored already (a retry; its transition too, unless the saga log had it), or a
    # saga log that cannot write with the order's store (then it records after the effect).
    transitioned = log.appended or saga_log.record(order_id, SagaState.ORDER_CREATED, now, document=context)
    return StepResult(context, transitioned=transitioned)


def _saga_document(order: Order, request: CheckoutInput) -> SagaContext:
    """What CreateOrder hands on: the saga document, with the order's priced items and total."""
    return SagaContext(
        order_id=order.order_id,
        customer_id=order.customer_id,
        items=[item.as_line() for item in order.items],
        payment_token=request.payment_token,
        sealed_payment_token=request.sealed_payment_token,
        total_cents=order.total_cents,
    )


def confirm_order(
    context: SagaContext, orders: OrdersRepository, payments: PaymentsRepository, saga_log: SagaLogRepository, now: str
) -> StepResult:
    """Only an order whose payment is captured is confirmed: the charge and its transition are written together,
    so a step (or an event) that claims a charge nobody made confirms nothing."""
    payment = payments.get(context.order_id)
    if payment is not None and payment.status is not PaymentStatus.CAPTURED:
        # Declined, or refunded or voided by an undo that began: this confirmation comes too late.
        raise SagaAlreadyCompensated(f"order {context.order_id}'s payment is {payment.status}: nothing is confirmed")
    if payment is None:
        order = orders.get(context.order_id)
        if order is not None and order.status in _UNDONE:
            raise SagaAlreadyCompensated(f"order {context.order_id} is {order.status.value}, it cannot be confirmed")
        raise PaymentNotCaptured(f"order {context.order_id} has no payment: nothing is confirmed")
    log = saga_log.pending(context.order_id, SagaState.CONFIRMED, now, status=OrderStatus.CONFIRMED, document=context)
    status = orders.confirm(context.order_id, now, log=log)
    if status is None:
        raise UnknownOrder(f"no order {context.order_id}")
    if status is not OrderStatus.CONFIRMED:
        raise SagaAlreadyCompensated(f"order {context.order_id} is {status.value}, it cannot be confirmed")
    return advance(context, saga_log, SagaState.CONFIRMED, now, status=OrderStatus.CONFIRMED, pending=log)


def cancel_order(context: SagaContext, orders: OrdersRepository, saga_log: SagaLogRepository, now: str) -> StepResult:
    """The order's own status decides between CANCELLED and COMPENSATION_FAILED, whichever write comes first:
    an undo that was given up (MarkCompensationFailed) ends CANCELLED only through a resume."""
    log = saga_log.pending(context.order_id, SagaState.CANCELLED, now, status=OrderStatus.CANCELLED, document=context)
    resumes = resumed_mark(context)
    status = orders.cancel(context.order_id, now, log=log, resumes=resumes)  # one write: the order and the log
    if status is None:
        order = _store_ended(context, orders, OrderStatus.CANCELLED, now, log)
        if order is not None and order.status is not OrderStatus.CANCELLED:
            # A CreateOrder delivered late stored the order between the two writes: cancel that one.
            status = orders.cancel(context.order_id, now, log=None if log.appended else log, resumes=resumes)
    if status is OrderStatus.COMPENSATION_FAILED:
        raise SagaGivenUp(f"order {context.order_id} was marked COMPENSATION_FAILED: only a resume undoes it")
    return advance(context, saga_log, SagaState.CANCELLED, now, status=OrderStatus.CANCELLED, pending=log)


def _store_ended(
    context: SagaContext, orders: OrdersRepository, status: OrderStatus, now: str, log: LogAppend | None = None
) -> Order | None:
    """CreateOrder failed before storing the order: store it ended, so that GET /orders/{id} answers and a step
    delivered late finds how the saga ended. What is stored under the id afterwards (a CreateOrder delivered late
    may have stored it first); None if the saga's document does not say whose order it was."""
    if context.customer_id is None:
        return None
    items = [
        PricedItem(sku=item.sku, quantity=item.quantity, unit_price_cents=item.unit_price_cents or 0)
        for item in context.items
    ]
    return orders.create(Order.new(context.order_id, context.customer_id, status, items, now), log=log)


def settle_pivot(context: SagaContext, orders: OrdersRepository, saga_log: SagaLogRepository) -> None:
    """Before a saga is marked COMPENSATION_FAILED, look at what really happened: if the order is CONFIRMED,
    the checkout passed its pivot (nothing may be undone: OrderConfirmed, the saga succeeds); if the undo
    completed and only CancelOrder's answer was lost, the saga is CANCELLED (SagaAlreadyCompensated)."""
    order = orders.get(context.order_id)
    if order is not None and order.status is OrderStatus.CONFIRMED:
        raise OrderConfirmed(f"order {context.order_id} is CONFIRMED: nothing is undone")
    saga = saga_log.get(context.order_id)
    undone = (order is not None and order.status is OrderStatus.CANCELLED) or (
        saga is not None and saga.status is OrderStatus.CANCELLED
    )
    if undone:
        raise SagaAlreadyCompensated(f"order {context.order_id} is already CANCELLED: the undo had completed")


def mark_compensation_failed(
    context: SagaContext, orders: OrdersRepository, saga_log: SagaLogRepository, now: str
) -> StepResult:
    note_compensation_failure(context, saga_log, now)
    again = context.resume_compensation is True  # a resume (or forced undo) given up marks a marked order again
    order = orders.mark_compensation_failed(context.order_id, now, again=again)
    if order is None:
        order = _store_ended(context, orders, OrderStatus.COMPENSATION_FAILED, now)
        if order is not None and order.status is not OrderStatus.COMPENSATION_FAILED:
            order = orders.mark_compensation_failed(context.order_id, now, again=again)  # stored late by CreateOrder
    if order is not None and order.status is OrderStatus.CANCELLED:
        # A CancelOrder delivered again (its saga's undo had not been given up yet) completed the undo since
        # settle_pivot looked: the order says CANCELLED, so does the saga.
        raise SagaAlreadyCompensated(f"order {context.order_id} is already CANCELLED: the undo had completed")
    recorded = saga_log.record(
        context.order_id, SagaState.COMPENSATION_FAILED, now, status=OrderStatus.COMPENSATION_FAILED
    )
    return StepResult(context, transitioned=recorded)
