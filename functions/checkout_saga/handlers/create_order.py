"""CreateOrder: price the items and store the order as PENDING."""

from checkout_saga.handlers.dependencies import Repositories
from checkout_saga.handlers.step import saga_step
from checkout_saga.logic.orders import create_order
from checkout_saga.logic.results import StepResult
from checkout_saga.models import CheckoutInput, StepName


@saga_step(StepName.CREATE_ORDER, CheckoutInput, on_transition="SagaStarted")
def handler(request: CheckoutInput, repos: Repositories, now: str) -> StepResult:
    return create_order(request, repos.inventory, repos.orders, repos.saga_log, now)
