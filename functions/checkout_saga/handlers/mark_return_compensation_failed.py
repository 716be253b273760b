"""MarkReturnCompensationFailed: an undo of the return saga kept failing after its retries; make it visible."""

from checkout_saga.handlers.dependencies import Repositories
from checkout_saga.handlers.forward_failure import record_forward_failure
from checkout_saga.handlers.step import saga_step
from checkout_saga.logic.results import StepResult
from checkout_saga.logic.returns import mark_return_compensation_failed, settle_return_pivot
from checkout_saga.models import ReturnContext


@saga_step("MarkReturnCompensationFailed", ReturnContext, on_transition="ReturnCompensationFailed")
def handler(context: ReturnContext, repos: Repositories, now: str) -> StepResult:
    settle_return_pivot(context, repos.returns)
    record_forward_failure(context, repos.return_saga_log, now)
    return mark_return_compensation_failed(context, repos.returns, repos.return_saga_log, now)
