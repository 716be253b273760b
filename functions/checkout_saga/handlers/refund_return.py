"""RefundReturn: give the returned units' price back on the order's payment, once."""

from checkout_saga.handlers.dependencies import Repositories
from checkout_saga.handlers.step import saga_step
from checkout_saga.logic.results import StepResult
from checkout_saga.logic.returns import refund_return
from checkout_saga.models import ReturnContext, StepName


@saga_step(StepName.REFUND_RETURN, ReturnContext)
def handler(context: ReturnContext, repos: Repositories, now: str) -> StepResult:
    return refund_return(context, repos.payments, repos.return_saga_log, now)
