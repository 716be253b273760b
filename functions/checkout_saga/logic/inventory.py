"""The inventory bounded context: ReserveStock and its compensation ReleaseStock."""

from checkout_saga.dal.interfaces import InventoryRepository, SagaLogRepository
from checkout_saga.errors import SagaAlreadyCompensated
from checkout_saga.logic.results import StepResult
from checkout_saga.models import PricedItem, ReservationStatus, SagaContext, SagaState


def reserve_stock(
    context: SagaContext, inventory: InventoryRepository, saga_log: SagaLogRepository, now: str
) -> StepResult:
    items = [PricedItem.model_validate(item.model_dump()) for item in context.items]
    log = saga_log.pending(context.order_id, SagaState.STOCK_RESERVED, now)
    reservation = inventory.reserve(context.order_id, items, log=log)  # one write: the stock and the log
    if reservation.status is ReservationStatus.RELEASED:
        raise SagaAlreadyCompensated(f"the stock of order {context.order_id} was already released")
    recorded = log.appended or saga_log.record(context.order_id, SagaState.STOCK_RESERVED, now)
    return StepResult(context, transitioned=recorded)


def release_stock(
    context: SagaContext, inventory: InventoryRepository, saga_log: SagaLogRepository, now: str
) -> StepResult:
    log = saga_log.pending(context.order_id, SagaState.STOCK_RELEASED, now)
    inventory.release(context.order_id, log=log)  # one write: the stock given back and the log
    recorded = log.appended or saga_log.record(context.order_id, SagaState.STOCK_RELEASED, now)
    return StepResult(context, transitioned=recorded)
