"""The inventory bounded context: ReserveStock and its compensation ReleaseStock."""

from checkout_saga.dal.interfaces import InventoryRepository, SagaLogRepository
from checkout_saga.errors import SagaAlreadyCompensated
from checkout_saga.logic.results import StepResult, advance
from checkout_saga.models import ReservationStatus, SagaContext, SagaState


def reserve_stock(
    context: SagaContext, inventory: InventoryRepository, saga_log: SagaLogRepository, now: str
) -> StepResult:
    items = [item.as_priced() for item in context.items]
    reservation = inventory.reserve(context.order_id, items)
    if reservation.status is ReservationStatus.RELEASED:
        raise SagaAlreadyCompensated(f"the stock of order {context.order_id} was already released")
    return advance(context, saga_log, SagaState.STOCK_RESERVED, now)


def release_stock(
    context: SagaContext, inventory: InventoryRepository, saga_log: SagaLogRepository, now: str
) -> StepResult:
    inventory.release(context.order_id)
    return advance(context, saga_log, SagaState.STOCK_RELEASED, now)
