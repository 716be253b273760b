import pytest

from checkout_saga.errors import InsufficientFunds, PaymentDeclined, PaymentProviderUnavailable, SagaAlreadyCompensated
from checkout_saga.logic import payment_provider
from checkout_saga.logic.payments import charge_payment, refund_payment
from checkout_saga.logic.results import StepResult
from checkout_saga.models import PaymentStatus, SagaContext
from tests.unit.conftest import NOW
from tests.unit.fakes import FakePayments, FakeSagaLog


def context(token: str, order_id: str = "o-1") -> SagaContext:
    return SagaContext(order_id=order_id, payment_token=token, total_cents=9998)


def charge(ctx: SagaContext, payments: FakePayments, saga_log: FakeSagaLog) -> StepResult:
    return charge_payment(ctx, payments, payment_provider.charge, saga_log, NOW)


def test_visa_is_captured_once_however_often_the_step_runs(payments, saga_log):
    assert charge(context("tok_visa"), payments, saga_log).transitioned
    assert not charge(context("tok_visa"), payments, saga_log).transitioned

    payment = payments.get("o-1")
    assert (payment.status, payment.amount_cents, payment.attempts) == (PaymentStatus.CAPTURED, 9998, 1)
    assert saga_log.states("o-1") == ["PAYMENT_CHARGED"]


@pytest.mark.parametrize(
    ("token", "error"), [("tok_declined", PaymentDeclined), ("tok_insufficient_funds", InsufficientFunds)]
)
def test_a_decline_is_recorded_and_replayed_without_calling_the_provider_again(payments, saga_log, token, error):
    for _ in range(2):
        with pytest.raises(error):
            charge(context(token), payments, saga_log)
    payment = payments.get("o-1")
    assert (payment.status, payment.attempts) == (PaymentStatus.DECLINED, 1)
    assert "o-1" not in saga_log.items


def test_a_flaky_card_fails_twice_then_is_captured(payments, saga_log):
    for _ in range(payment_provider.FLAKY_FAILURES):
        with pytest.raises(PaymentProviderUnavailable):
            charge(context("tok_flaky"), payments, saga_log)
        assert payments.get("o-1").status is None
    charge(context("tok_flaky"), payments, saga_log)
    assert (payments.get("o-1").status, payments.get("o-1").attempts) == (PaymentStatus.CAPTURED, 3)


def test_refund_returns_a_capture_once(payments, saga_log):
    charge(context("tok_visa"), payments, saga_log)
    refund_payment(context("tok_visa"), payments, saga_log, NOW)
    refund_payment(context("tok_visa"), payments, saga_log, NOW)
    assert payments.get("o-1").status is PaymentStatus.REFUNDED
    assert saga_log.states("o-1") == ["PAYMENT_CHARGED", "PAYMENT_REFUNDED"]


def test_refund_before_any_charge_voids_it_so_a_late_charge_captures_nothing(payments, saga_log):
    refund_payment(context("tok_visa"), payments, saga_log, NOW)
    with pytest.raises(SagaAlreadyCompensated):
        charge(context("tok_visa"), payments, saga_log)
    assert payments.get("o-1").status is PaymentStatus.VOIDED


def test_refund_of_a_declined_payment_leaves_it_declined(payments, saga_log):
    with pytest.raises(PaymentDeclined):
        charge(context("tok_declined"), payments, saga_log)
    refund_payment(context("tok_declined"), payments, saga_log, NOW)
    assert payments.get("o-1").status is PaymentStatus.DECLINED


def test_charge_without_a_total_is_a_clear_error(payments, saga_log):
    with pytest.raises(ValueError, match="totalCents"):
        charge(SagaContext(order_id="o-1", payment_token="tok_visa"), payments, saga_log)
    assert payments.get("o-1") is None


def test_unknown_tokens_are_declined_without_repeating_the_token():
    with pytest.raises(PaymentDeclined) as declined:
        payment_provider.charge("tok_mystery", 100, 1, "o-1")
    assert str(declined.value) == "the payment was declined"


@pytest.mark.parametrize("token", ["tok_declined", "tok_insufficient_funds"])
def test_decline_texts_are_generic(token):
    with pytest.raises((PaymentDeclined, InsufficientFunds)) as declined:
        payment_provider.charge(token, 1234, 1, "o-1")
    assert str(declined.value) == "the payment was declined"  # no token, no amount: the error name says which


def test_the_provider_is_called_with_the_order_id_as_idempotency_key(payments, saga_log):
    calls: list[tuple[str, int, int, str]] = []

    def provider(token: str, amount_cents: int, attempt: int, key: str) -> None:
        calls.append((token, amount_cents, attempt, key))
        payment_provider.charge(token, amount_cents, attempt, key)

    charge_payment(context("tok_visa", order_id="o-7"), payments, provider, saga_log, NOW)
    assert calls == [("tok_visa", 9998, 1, "o-7")]


def test_a_charge_without_an_idempotency_key_is_refused():
    with pytest.raises(ValueError, match="idempotency key"):
        payment_provider.charge("tok_visa", 100, 1, "")
