"""ValidateReturn: check the return against its order and claim the returned units (REJECTED if not allowed)."""

from checkout_saga.handlers.dependencies import Repositories
from checkout_saga.handlers.step import saga_step
from checkout_saga.logic.results import StepResult
from checkout_saga.logic.returns import validate_return
from checkout_saga.models import ReturnInput, StepName
from checkout_saga.settings import ReturnPolicySettings, load_settings


@saga_step(StepName.VALIDATE_RETURN, ReturnInput, on_transition="ReturnStarted")
def handler(request: ReturnInput, repos: Repositories, now: str) -> StepResult:
    window_days = load_settings(ReturnPolicySettings).return_window_days
    return validate_return(request, repos.orders, repos.returns, repos.return_saga_log, window_days, now)
