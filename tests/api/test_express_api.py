"""The API on an Express checkout (CheckoutWorkflowType=EXPRESS): Step Functions no longer deduplicates a start by
its name, lists no executions and stops none (seam `express_workflows`), so the checkout's idempotency rests on the
Idempotency-Key record alone, and forced compensation fences the order without calling StopExecution."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from moto.stepfunctions.models import StepFunctionBackend, stepfunctions_backends

from checkout_saga.handlers.dependencies import reset_caches
from checkout_saga.models import OrderStatus, SagaState
from local_cloud.stepfunctions.express import install_express_workflows
from tests.api.conftest import PASS_MACHINE, REGION, Call, Cloud, checkout_body
from tests.api.test_orders import arrange


@pytest.fixture
def express(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    """The test's checkout state machine replaced by an Express one, and the API told so."""
    arn = cloud.stepfunctions.create_state_machine(
        name=cloud.state_machine_arn.rsplit(":", 1)[1] + "Express",
        definition=PASS_MACHINE,
        roleArn="arn:aws:iam::123456789012:role/checkout-saga",
        type="EXPRESS",
    )["stateMachineArn"]
    cloud.state_machine_arn = arn
    cloud.role.grant(cloud.physical())
    cloud.stack.outputs.update(CheckoutStateMachineArn=arn)
    monkeypatch.setenv("STATE_MACHINE_ARN", arn)
    monkeypatch.setenv("CHECKOUT_WORKFLOW_TYPE", "EXPRESS")
    reset_caches()
    with install_express_workflows():
        yield cloud
    reset_caches()


def started_inputs(cloud: Cloud) -> list[dict[str, Any]]:
    """The inputs of the checkout machine's executions, from moto's backend (ListExecutions refuses an Express
    machine, as on AWS)."""
    machine = stepfunctions_backends["123456789012"][REGION].describe_state_machine(cloud.state_machine_arn)
    return [json.loads(execution.execution_input) for execution in machine.executions]


def test_listing_an_express_machines_executions_is_refused(express: Cloud) -> None:
    with pytest.raises(express.stepfunctions.exceptions.ClientError, match="StateMachineTypeNotSupported"):
        express.executions()


def test_the_same_key_gives_one_order_and_one_execution_without_names(call: Call, express: Cloud) -> None:
    first = call("POST", "/checkout", body=checkout_body(), headers={"Idempotency-Key": "order-x1"})
    again = call("POST", "/checkout", body=checkout_body(), headers={"Idempotency-Key": "order-x1"})
    other = call("POST", "/checkout", body=checkout_body(), headers={"Idempotency-Key": "order-x2"})

    assert first.status == 202
    assert again.body == first.body
    assert other.body["orderId"] != first.body["orderId"]
    assert sorted(document["orderId"] for document in started_inputs(express)) == sorted(
        [first.body["orderId"], other.body["orderId"]]
    )
    assert {item["sagaId"] for item in express.items("SagaLogTable")} == {first.body["orderId"], other.body["orderId"]}


def test_compensate_fences_the_order_and_never_calls_stop_execution(call: Call, express: Cloud) -> None:
    arrange(express, "ord-run", OrderStatus.PENDING, [SagaState.STARTED, SagaState.ORDER_CREATED])

    with mock.patch.object(StepFunctionBackend, "stop_execution", autospec=True) as stop:
        response = call("POST", "/sagas/ord-run/compensate", body={"reason": "customer called"})

    assert response.status == 202
    stop.assert_not_called()
    assert started_inputs(express) == [{"orderId": "ord-run", "resumeCompensation": True, "resumesFailure": 0}]
    [order] = express.items("OrdersTable")
    assert "fencedAt" in order
    failure = express.stack.saga_log.get("ord-run").failure
    assert (failure.error, failure.cause) == ("ForcedCompensation", "customer called")
