"""ChargePayment: capture the order's total through the (simulated) payment provider."""

from checkout_saga.handlers.dependencies import Repositories
from checkout_saga.handlers.step import saga_step
from checkout_saga.logic import payment_provider
from checkout_saga.logic.payments import charge_payment
from checkout_saga.logic.results import StepResult
from checkout_saga.models import SagaContext, StepName


@saga_step(StepName.CHARGE_PAYMENT, SagaContext)
def handler(context: SagaContext, repos: Repositories, now: str) -> StepResult:
    # A direct StartExecution may carry the token as is; the API's sagas carry it sealed (opened only here).
    open_token = repos.sealing().open if context.sealed_payment_token is not None else None
    return charge_payment(context, repos.payments, payment_provider.charge, repos.saga_log, now, open_token)
