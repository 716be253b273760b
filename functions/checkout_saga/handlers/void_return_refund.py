"""VoidReturnRefund: Undo RefundReturn: take the return's refund back, or make sure it never applies."""

from checkout_saga.handlers.dependencies import Repositories
from checkout_saga.handlers.forward_failure import record_forward_failure
from checkout_saga.handlers.step import saga_step
from checkout_saga.logic.results import StepResult
from checkout_saga.logic.returns import void_return_refund
from checkout_saga.models import ReturnContext, StepName


@saga_step(StepName.VOID_RETURN_REFUND, ReturnContext)
def handler(context: ReturnContext, repos: Repositories, now: str) -> StepResult:
    record_forward_failure(context, repos.return_saga_log, now)
    return void_return_refund(context, repos.returns, repos.payments, repos.return_saga_log, now)
