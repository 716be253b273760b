"""RestockReturn: put the returned units back in `available`."""

from checkout_saga.handlers.dependencies import Repositories
from checkout_saga.handlers.step import saga_step
from checkout_saga.logic.results import StepResult
from checkout_saga.logic.returns import restock_return
from checkout_saga.models import ReturnContext, StepName


@saga_step(StepName.RESTOCK_RETURN, ReturnContext)
def handler(context: ReturnContext, repos: Repositories, now: str) -> StepResult:
    return restock_return(context, repos.inventory, repos.return_saga_log, now)
