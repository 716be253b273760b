"""ConfirmOrder: the last forward step; the order becomes CONFIRMED."""

from checkout_saga.handlers.dependencies import Repositories
from checkout_saga.handlers.step import saga_step
from checkout_saga.logic.orders import confirm_order
from checkout_saga.logic.results import StepResult
from checkout_saga.models import OrderStatus, SagaContext, StepName


@saga_step(
    StepName.CONFIRM_ORDER,
    SagaContext,
    on_transition="SagaConfirmed",
    ends_as=OrderStatus.CONFIRMED,
)
def handler(context: SagaContext, repos: Repositories, now: str) -> StepResult:
    return confirm_order(context, repos.orders, repos.payments, repos.saga_log, now)
