"""CancelReturn: Undo ValidateReturn: give the claimed units back to the order; the return ends CANCELLED."""

from checkout_saga.handlers.dependencies import Repositories
from checkout_saga.handlers.forward_failure import record_forward_failure
from checkout_saga.handlers.step import saga_step
from checkout_saga.logic.results import StepResult
from checkout_saga.logic.returns import cancel_return
from checkout_saga.models import ReturnContext, StepName


@saga_step(StepName.CANCEL_RETURN, ReturnContext, on_transition="ReturnCancelled")
def handler(context: ReturnContext, repos: Repositories, now: str) -> StepResult:
    record_forward_failure(context, repos.return_saga_log, now)
    return cancel_return(context, repos.orders, repos.returns, repos.return_saga_log, now)
