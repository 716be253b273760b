from typing import Any

import pytest
from pydantic import ValidationError

from checkout_saga.errors import InjectedFailure, TransientStepError
from checkout_saga.faults import FaultInjector, FaultPlan
from checkout_saga.logic.compensation import note_failure
from checkout_saga.models import SagaContext, StepFailure, StepName
from tests.unit.conftest import NOW


def plan(document: dict[str, Any]) -> FaultInjector:
    return FaultInjector(FaultPlan.model_validate(document).root, draw=lambda: 0.5)


def test_fail_mode_fires_before_the_effect_and_transient_after():
    injector = plan({"ConfirmOrder": {"mode": "fail", "rate": 1.0}, "ReleaseStock": {"mode": "transient", "rate": 0.6}})
    with pytest.raises(InjectedFailure):
        injector.before_effect(StepName.CONFIRM_ORDER)
    injector.after_effect(StepName.CONFIRM_ORDER)
    injector.before_effect(StepName.RELEASE_STOCK)
    with pytest.raises(TransientStepError):
        injector.after_effect(StepName.RELEASE_STOCK)


def test_rate_is_a_probability():
    injector = plan({"ChargePayment": {"mode": "fail", "rate": 0.4}})  # draw is 0.5: does not fire
    injector.before_effect(StepName.CHARGE_PAYMENT)


@pytest.mark.parametrize(
    "document",
    [
        {"Nope": {"mode": "fail", "rate": 1}},
        {"ConfirmOrder": {"mode": "explode", "rate": 1}},
        {"ConfirmOrder": {"mode": "fail", "rate": 2}},
    ],
)
def test_a_fault_plan_names_real_steps_modes_and_rates(document):
    with pytest.raises(ValidationError):
        FaultPlan.model_validate(document)


def test_the_forward_failure_is_kept_once_with_the_lambda_error_message(saga_log):
    context = SagaContext(
        order_id="o-1",
        failed_step=StepName.CHARGE_PAYMENT,
        failure=StepFailure(
            Error="PaymentDeclined", Cause='{"errorType": "PaymentDeclined", "errorMessage": "card declined"}'
        ),
    )
    assert note_failure(context, saga_log, NOW) is not None
    assert note_failure(context, saga_log, NOW) is None
    assert saga_log.get("o-1").failure.model_dump() == {
        "step": "ChargePayment",
        "error": "PaymentDeclined",
        "cause": "card declined",
    }


def test_a_resumed_compensation_has_no_failure_to_keep(saga_log):
    assert note_failure(SagaContext(order_id="o-1", resume_compensation=True), saga_log, NOW) is None
    assert "o-1" not in saga_log.items
