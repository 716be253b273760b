"""POST /orders/{orderId}/returns: start the return saga under a new return id, log it STARTED, store it PENDING.

As for checkouts, the state machine is started before anything is written: a start that fails leaves nothing
behind, and ValidateReturn stores the return and logs STARTED too (whichever comes first counts)."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from checkout_saga.dal.interfaces import OrdersRepository, ReturnsRepository, SagaLogRepository, SagaStarter
from checkout_saga.errors import UnknownOrder
from checkout_saga.models import LineItem, ReturnInput, ReturnRecord, ReturnStatus, SagaState


@dataclass(frozen=True)
class ReturnStarted:
    return_id: str
    execution_arn: str


def new_return_id() -> str:
    return f"ret-{uuid.uuid4().hex}"


def start_return(
    order_id: str,
    wanted: list[LineItem],
    reason: str,
    orders: OrdersRepository,
    returns: ReturnsRepository,
    saga_log: SagaLogRepository,
    starter: SagaStarter,
    now: str,
    return_id_factory: Callable[[], str] = new_return_id,
) -> ReturnStarted:
    if orders.get(order_id) is None:
        raise UnknownOrder(f"no order {order_id}")
    return_id = return_id_factory()
    items = [LineItem(sku=item.sku, quantity=item.quantity) for item in wanted]
    saga_input = ReturnInput(return_id=return_id, order_id=order_id, items=items, reason=reason)
    execution = starter.start(return_id, saga_input.to_payload(exclude_none=True))
    saga_log.record(return_id, SagaState.STARTED, now)
    returns.create(ReturnRecord.new(return_id, order_id, ReturnStatus.PENDING, items, reason, now))
    return ReturnStarted(return_id, execution)
