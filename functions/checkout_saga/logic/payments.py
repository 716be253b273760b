"""The payments bounded context: ChargePayment and its compensation RefundPayment."""

from collections.abc import Callable

from checkout_saga.dal.interfaces import PaymentsRepository, SagaLogRepository
from checkout_saga.errors import InsufficientFunds, PaymentDeclined, SagaAlreadyCompensated, SagaError
from checkout_saga.logic.results import StepResult
from checkout_saga.models import Payment, PaymentStatus, SagaContext, SagaState

Charge = Callable[[str, int, int], None]  # (token, amount_cents, attempt); see payment_provider.charge

_DECLINES: dict[str, type[SagaError]] = {"PaymentDeclined": PaymentDeclined, "InsufficientFunds": InsufficientFunds}


def charge_payment(
    context: SagaContext,
    payments: PaymentsRepository,
    charge: Charge,
    saga_log: SagaLogRepository,
    now: str,
) -> StepResult:
    if context.total_cents is None or context.payment_token is None:
        raise ValueError("ChargePayment needs totalCents and paymentToken (they come from CreateOrder)")
    payment = payments.get(context.order_id)
    if payment is None or payment.status is None:
        attempt = payments.count_attempt(context.order_id)
        try:
            charge(context.payment_token, context.total_cents, attempt)
        except (PaymentDeclined, InsufficientFunds) as decline:
            payment = payments.settle(
                context.order_id, PaymentStatus.DECLINED, context.total_cents, f"{type(decline).__name__}: {decline}"
            )
        else:
            payment = payments.settle(context.order_id, PaymentStatus.CAPTURED, context.total_cents, None)
    _raise_unless_captured(payment)
    recorded = saga_log.record(context.order_id, SagaState.PAYMENT_CHARGED, now)
    return StepResult(context, transitioned=recorded)


def _raise_unless_captured(payment: Payment) -> None:
    """Replay the first recorded outcome, so a step delivered twice answers the same both times."""
    if payment.status is PaymentStatus.CAPTURED:
        return
    if payment.status is PaymentStatus.DECLINED:
        name, _, message = (payment.decline_reason or "PaymentDeclined: declined").partition(": ")
        raise _DECLINES.get(name, PaymentDeclined)(message)
    raise SagaAlreadyCompensated(f"the payment of order {payment.order_id} is already {payment.status}")


def refund_payment(
    context: SagaContext, payments: PaymentsRepository, saga_log: SagaLogRepository, now: str
) -> StepResult:
    payments.refund(context.order_id)
    recorded = saga_log.record(context.order_id, SagaState.PAYMENT_REFUNDED, now)
    return StepResult(context, transitioned=recorded)
