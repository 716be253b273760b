"""The inventory bounded context: ReserveStock and its compensation ReleaseStock."""

from checkout_saga.dal.interfaces import InventoryRepository, SagaLogRepository
from checkout_saga.errors import SagaAlreadyCompensated
from checkout_saga.logic.results import StepResult, advance
from checkout_saga.models import ReservationStatus, SagaContext, SagaState


def reserve_stock(
    context: SagaContext, inventory: InventoryRepository, saga_log: SagaLogRepository, now: str
) -> StepResult:
    items = [item.as_priced() for item in context.items]
    log = saga_log.pending(context.order_id, SagaState.STOCK_RESERVED, now, document=context)
    reservation = inventory.reserve(context.order_id, items, log=log)  # one write: the stock and the log
    if reservation.status is ReservationStatus.RELEASED:
        raise SagaAlreadyCompensated(f"the stock of order {context.order_id} was already released")
    return advance(context, saga_log, SagaState.STOCK_RESERVED, now, pending=log)


def release_stock(
    context: SagaContext, inventory: InventoryRepository, saga_log: SagaLogRepository, now: str
) -> StepResult:
    log = saga_log.pending(context.order_id, SagaState.STOCK_RELEASED, now, document=context)
    inventory.release(context.order_id, log=log)  # one write: the stock given back and the log
    return advance(context, saga_log, SagaState.STOCK_RELEASED, now, pending=log)
