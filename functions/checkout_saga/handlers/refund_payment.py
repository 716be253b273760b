"""RefundPayment: Undo ChargePayment: refund a capture, or void the payment if none happened."""

from checkout_saga.handlers.dependencies import Repositories
from checkout_saga.handlers.forward_failure import record_forward_failure
from checkout_saga.handlers.step import saga_step
from checkout_saga.logic.compensation import fence_order
from checkout_saga.logic.payments import refund_payment
from checkout_saga.logic.results import StepResult
from checkout_saga.models import SagaContext, StepName


@saga_step(StepName.REFUND_PAYMENT, SagaContext)
def handler(context: SagaContext, repos: Repositories, now: str) -> StepResult:
    fence_order(context, repos.orders, now)
    record_forward_failure(context, repos.saga_log, now)
    return refund_payment(context, repos.payments, repos.saga_log, now)
