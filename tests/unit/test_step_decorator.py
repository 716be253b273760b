"""The saga_step decorator: the saga id from the payload, the state's name in every log line, settings validated
once per call, fault injection only for the saga's steps, and the next state's document as the result."""

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from checkout_saga.errors import InjectedFailure
from checkout_saga.faults import FaultInjector, FaultSpec
from checkout_saga.handlers import step as step_module
from checkout_saga.handlers.dependencies import Repositories
from checkout_saga.handlers.step import saga_step
from checkout_saga.logic.results import StepResult
from checkout_saga.models import CheckoutInput, ReturnContext, SagaContext, StepName
from checkout_saga.observability import logger
from checkout_saga.settings import StepSettings, load_settings

TABLES = ("ORDERS", "INVENTORY", "PAYMENTS", "SAGA_LOG", "RETURNS", "RETURN_SAGA_LOG")


@dataclass
class FakeLambdaContext:
    function_name: str = "checkout-saga-Step"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:checkout-saga-Step"
    aws_request_id: str = "request-1"


LAMBDA_CONTEXT = cast(LambdaContext, FakeLambdaContext())


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for table in TABLES:
        monkeypatch.setenv(f"{table}_TABLE", f"{table.lower()}-table")
    monkeypatch.delenv("FAULTS_PARAMETER", raising=False)
    monkeypatch.delenv("PAYMENT_TOKEN_KEY", raising=False)


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[dict[str, object]]]:
    """The "step done" lines the handlers log (the logger's handler keeps the stdout it was created with)."""
    buffer = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", buffer)

    def done() -> list[dict[str, object]]:
        lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
        return [line for line in lines if line["message"] == "step done"]

    return done


def test_a_step_logs_its_name_and_saga_and_answers_the_next_document(
    logs: Callable[[], list[dict[str, object]]],
) -> None:
    @saga_step(StepName.RESERVE_STOCK, SagaContext)
    def handler(context: SagaContext, repos: Repositories, now: str) -> StepResult:
        return StepResult(context.model_copy(update={"total_cents": 2998}), transitioned=True)

    answer = handler({"orderId": "o-1", "items": [{"sku": "KB-001", "quantity": 2}]}, LAMBDA_CONTEXT)

    assert answer == {"orderId": "o-1", "items": [{"sku": "KB-001", "quantity": 2}], "totalCents": 2998}
    [done] = logs()
    assert (done["step"], done["correlation_id"], done["transitioned"]) == ("ReserveStock", "o-1", True)


def test_the_saga_id_is_the_payloads_own(logs: Callable[[], list[dict[str, object]]]) -> None:
    @saga_step(StepName.VALIDATE_RETURN, ReturnContext)
    def validate(context: ReturnContext, repos: Repositories, now: str) -> StepResult:
        return StepResult(context, transitioned=False)

    @saga_step(StepName.CREATE_ORDER, CheckoutInput)
    def create(request: CheckoutInput, repos: Repositories, now: str) -> StepResult:
        return StepResult(SagaContext(order_id=request.order_id), transitioned=False)

    validate({"returnId": "r-9", "orderId": "o-1"}, LAMBDA_CONTEXT)
    create(
        {"orderId": "o-2", "customerId": "c-1", "items": [{"sku": "KB-001", "quantity": 1}], "paymentToken": "tok"},
        LAMBDA_CONTEXT,
    )

    lines = logs()
    assert [(line["step"], line["correlation_id"]) for line in lines] == [
        ("ValidateReturn", "r-9"),
        ("CreateOrder", "o-2"),
    ]


def test_settings_are_validated_once_per_call(monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[type] = []

    def counting_load(model: type[StepSettings]) -> StepSettings:
        loads.append(model)
        return load_settings(model)

    monkeypatch.setattr(step_module, "load_settings", counting_load)
    monkeypatch.setattr("checkout_saga.handlers.dependencies.load_settings", counting_load)
    monkeypatch.setenv("FAULTS_PARAMETER", "/checkout-saga/faults")
    monkeypatch.setattr(step_module, "fault_injector", lambda settings: FaultInjector({}))

    @saga_step(StepName.RESERVE_STOCK, SagaContext)
    def handler(context: SagaContext, repos: Repositories, now: str) -> StepResult:
        return StepResult(context, transitioned=False)

    handler({"orderId": "o-1"}, LAMBDA_CONTEXT)

    assert loads == [StepSettings]


def test_a_state_that_is_not_a_saga_step_reads_no_fault_plan(
    monkeypatch: pytest.MonkeyPatch, logs: Callable[[], list[dict[str, object]]]
) -> None:
    monkeypatch.setenv("FAULTS_PARAMETER", "/checkout-saga/faults")

    def no_plan_expected(settings: StepSettings) -> None:
        raise AssertionError("MarkCompensationFailed must not read the fault plan")

    monkeypatch.setattr(step_module, "fault_injector", no_plan_expected)

    @saga_step("MarkCompensationFailed", SagaContext)
    def handler(context: SagaContext, repos: Repositories, now: str) -> StepResult:
        return StepResult(context, transitioned=False)

    assert handler({"orderId": "o-3"}, LAMBDA_CONTEXT) == {"orderId": "o-3", "items": []}
    [done] = logs()
    assert done["step"] == "MarkCompensationFailed"


def test_a_step_fails_with_its_fault_before_its_effect(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAULTS_PARAMETER", "/checkout-saga/faults")
    plan = {StepName.RESERVE_STOCK: FaultSpec(mode="fail", rate=1.0)}
    monkeypatch.setattr(step_module, "fault_injector", lambda settings: FaultInjector(plan))
    effects: list[str] = []

    @saga_step(StepName.RESERVE_STOCK, SagaContext)
    def handler(context: SagaContext, repos: Repositories, now: str) -> StepResult:
        effects.append(context.order_id)
        return StepResult(context, transitioned=True)

    with pytest.raises(InjectedFailure, match="ReserveStock"):
        handler({"orderId": "o-4"}, LAMBDA_CONTEXT)
    assert effects == []
