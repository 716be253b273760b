"""CompleteReturn: the last forward step of the return saga; the return becomes COMPLETED."""

from checkout_saga.handlers.dependencies import Repositories
from checkout_saga.handlers.step import saga_step
from checkout_saga.logic.results import StepResult
from checkout_saga.logic.returns import complete_return
from checkout_saga.models import ReturnContext, StepName


@saga_step(StepName.COMPLETE_RETURN, ReturnContext, on_transition="ReturnCompleted")
def handler(context: ReturnContext, repos: Repositories, now: str) -> StepResult:
    return complete_return(context, repos.returns, repos.return_saga_log, now)
