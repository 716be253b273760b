"""The payments bounded context: ChargePayment and its compensation RefundPayment."""

from collections.abc import Callable

from checkout_saga.dal.interfaces import PaymentsRepository, SagaLogRepository
from checkout_saga.errors import InsufficientFunds, PaymentDeclined, SagaAlreadyCompensated, SagaError
from checkout_saga.logic.results import StepResult, advance
from checkout_saga.models import Payment, PaymentStatus, SagaContext, SagaState

# (token, amount_cents, attempt, idempotency_key); see payment_provider.charge
Charge = Callable[[str, int, int, str], None]
OpenToken = Callable[[str, str], str]  # (order_id, sealed token) -> the token; see dal/kms_token_vault.py

_DECLINES: dict[str, type[SagaError]] = {"PaymentDeclined": PaymentDeclined, "InsufficientFunds": InsufficientFunds}


def charge_payment(
    context: SagaContext,
    payments: PaymentsRepository,
    charge: Charge,
    saga_log: SagaLogRepository,
    now: str,
    open_token: OpenToken | None = None,
) -> StepResult:
    has_token = context.payment_token is not None or (context.sealed_payment_token is not None and open_token)
    if context.total_cents is None or not has_token:
        raise ValueError("ChargePayment needs totalCents and a payment token (they come from CreateOrder)")
    # Two writes: the provider's attempt (recorded before the call, so that no call goes unrecorded) and the
    # outcome with the saga log's transition.
    payment = payments.attempt(context.order_id)
    log = saga_log.pending(context.order_id, SagaState.PAYMENT_CHARGED, now, document=context)
    if payment.status is None:
        try:
            # The order id as the provider's idempotency key: every execution of this saga charges under it.
            charge(_token(context, open_token), context.total_cents, payment.attempts, context.order_id)
        except (PaymentDeclined, InsufficientFunds) as decline:
            payment = payments.settle(
                context.order_id, PaymentStatus.DECLINED, context.total_cents, f"{type(decline).__name__}: {decline}"
            )
        else:
            payment = payments.settle(context.order_id, PaymentStatus.CAPTURED, context.total_cents, None, log=log)
    _raise_unless_captured(payment)
    return advance(context, saga_log, SagaState.PAYMENT_CHARGED, now, pending=log)


def _token(context: SagaContext, open_token: OpenToken | None) -> str:
    """The token to charge, opened only now: it is never part of the step's result."""
    if context.payment_token is not None:
        return context.payment_token
    if context.sealed_payment_token is None or open_token is None:  # charge_payment checked it already
        raise ValueError("no payment token to charge")
    return open_token(context.order_id, context.sealed_payment_token)


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
    log = saga_log.pending(context.order_id, SagaState.PAYMENT_REFUNDED, now, document=context)
    payments.refund(context.order_id, log=log)  # one write: the refund (or void) and the log
    return advance(context, saga_log, SagaState.PAYMENT_REFUNDED, now, pending=log)
