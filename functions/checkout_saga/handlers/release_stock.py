"""ReleaseStock: Undo ReserveStock: give the reserved quantities back."""

from checkout_saga.handlers.dependencies import Repositories
from checkout_saga.handlers.forward_failure import record_forward_failure
from checkout_saga.handlers.step import saga_step
from checkout_saga.logic.inventory import release_stock
from checkout_saga.logic.results import StepResult
from checkout_saga.models import SagaContext, StepName


@saga_step(StepName.RELEASE_STOCK, SagaContext)
def handler(context: SagaContext, repos: Repositories, now: str) -> StepResult:
    record_forward_failure(context, repos.saga_log, now)
    return release_stock(context, repos.inventory, repos.saga_log, now)
