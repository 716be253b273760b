"""The inventory bounded context: ReserveStock and its compensation ReleaseStock."""

from checkout_saga.dal.interfaces import InventoryRepository, LogAppend, SagaLogRepository
from checkout_saga.errors import OutOfStock, SagaAlreadyCompensated, StockMoved, UnknownProduct
from checkout_saga.logic.results import StepResult, advance
from checkout_saga.logic.stock_shards import StartShard, plan_takes, random_start
from checkout_saga.models import PricedItem, Reservation, ReservationStatus, SagaContext, SagaState

PLAN_ROUNDS = 3  # a shard emptied by a concurrent sale between the read and the write: read and plan again


def reserve_stock(
    context: SagaContext,
    inventory: InventoryRepository,
    saga_log: SagaLogRepository,
    now: str,
    start: StartShard = random_start,
) -> StepResult:
    items = [item.as_priced() for item in context.items]
    log = saga_log.pending(context.order_id, SagaState.STOCK_RESERVED, now, document=context)
    reservation = take_stock(context.order_id, items, inventory, log, start)  # one write: the stock and the log
    if reservation.status is ReservationStatus.RELEASED:
        raise SagaAlreadyCompensated(f"the stock of order {context.order_id} was already released")
    return advance(context, saga_log, SagaState.STOCK_RESERVED, now, pending=log)


def take_stock(
    order_id: str,
    items: list[PricedItem],
    inventory: InventoryRepository,
    log: LogAppend | None,
    start: StartShard = random_start,
) -> Reservation:
    """Reserve the items, spread over their products' shards; the order's reservation if it has one already.
    Out of stock only when all the shards of a product together are short."""
    for _ in range(PLAN_ROUNDS):
        try:
            takes = plan_takes(items, inventory.shard_stock(sorted({item.sku for item in items})), start)
        except (OutOfStock, UnknownProduct):
            existing = inventory.get_reservation(order_id)  # a retry after the stock ran out: it holds its units
            if existing is not None:
                return existing
            raise
        try:
            return inventory.reserve(order_id, items, takes, log=log)
        except StockMoved:
            continue
    raise StockMoved(f"the stock kept moving while reserving for order {order_id}")


def release_stock(
    context: SagaContext, inventory: InventoryRepository, saga_log: SagaLogRepository, now: str
) -> StepResult:
    log = saga_log.pending(context.order_id, SagaState.STOCK_RELEASED, now, document=context)
    inventory.release(context.order_id, log=log)  # one write: the stock given back and the log
    return advance(context, saga_log, SagaState.STOCK_RELEASED, now, pending=log)
