"""UnstockReturn: Undo RestockReturn. The first undo of a return that reached CompleteReturn: it fences the
return (CompleteReturn can no longer apply) and ends the saga as a success if the return is already COMPLETED."""

from checkout_saga.handlers.dependencies import Repositories
from checkout_saga.handlers.forward_failure import record_forward_failure
from checkout_saga.handlers.step import saga_step
from checkout_saga.logic.results import StepResult
from checkout_saga.logic.returns import fence_return, unstock_return
from checkout_saga.models import ReturnContext, StepName


@saga_step(StepName.UNSTOCK_RETURN, ReturnContext)
def handler(context: ReturnContext, repos: Repositories, now: str) -> StepResult:
    fence_return(context, repos.returns, now)
    record_forward_failure(context, repos.return_saga_log, now)
    return unstock_return(context, repos.inventory, repos.return_saga_log, now)
