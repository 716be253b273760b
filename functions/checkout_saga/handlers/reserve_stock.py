"""ReserveStock: take every item's quantity from the inventory, all or nothing."""

from checkout_saga.handlers.dependencies import Repositories
from checkout_saga.handlers.step import saga_step
from checkout_saga.logic.inventory import reserve_stock
from checkout_saga.logic.results import StepResult
from checkout_saga.models import SagaContext, StepName


@saga_step(StepName.RESERVE_STOCK, SagaContext)
def handler(context: SagaContext, repos: Repositories, now: str) -> StepResult:
    return reserve_stock(context, repos.inventory, repos.saga_log, now)
