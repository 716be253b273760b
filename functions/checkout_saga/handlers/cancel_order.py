"""CancelOrder: Undo CreateOrder; the saga ends CANCELLED."""

from checkout_saga.handlers.dependencies import Repositories
from checkout_saga.handlers.forward_failure import record_forward_failure
from checkout_saga.handlers.step import saga_step
from checkout_saga.logic.orders import cancel_order
from checkout_saga.logic.results import StepResult
from checkout_saga.models import OrderStatus, SagaContext, StepName


@saga_step(
    StepName.CANCEL_ORDER,
    SagaContext,
    on_transition="SagaCancelled",
    ends_as=OrderStatus.CANCELLED,
)
def handler(context: SagaContext, repos: Repositories, now: str) -> StepResult:
    record_forward_failure(context, repos.saga_log, now)
    return cancel_order(context, repos.orders, repos.saga_log, now)
