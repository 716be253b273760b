"""POST /orders/{orderId}/returns: start the return saga under a new return id, log it STARTED, store it PENDING.

As for checkouts, the state machine is started before anything is written: a start that fails leaves nothing
behind, and ValidateReturn stores the return and logs STARTED too (whichever comes first counts)."""

import uuid
from collections.abc import Callable

from checkout_saga.api_models import ReturnAccepted, ReturnRequest
from checkout_saga.dal.interfaces import OrdersRepository, ReturnsRepository, SagaLogRepository, SagaStarter
from checkout_saga.errors import UnknownOrder
from checkout_saga.models import LineItem, ReturnInput, ReturnRecord, ReturnStatus, SagaState


def new_return_id() -> str:
    return f"ret-{uuid.uuid4().hex}"


def start_return(
    order_id: str,
    request: ReturnRequest,
    orders: OrdersRepository,
    returns: ReturnsRepository,
    saga_log: SagaLogRepository,
    starter: SagaStarter,
    now: str,
    return_id_factory: Callable[[], str] = new_return_id,
) -> ReturnAccepted:
    if orders.get(order_id) is None:
        raise UnknownOrder(f"no order {order_id}")
    return_id = return_id_factory()
    items = [LineItem(sku=item.sku, quantity=item.quantity) for item in request.items]
    saga_input = ReturnInput(return_id=return_id, order_id=order_id, items=items, reason=request.reason)
    execution = starter.start(return_id, saga_input.to_payload(exclude_none=True))
    saga_log.record(return_id, SagaState.STARTED, now)
    returns.create(ReturnRecord.new(return_id, order_id, ReturnStatus.PENDING, items, request.reason, now))
    return ReturnAccepted(return_id=return_id, order_id=order_id, status="PENDING", execution_arn=execution)
