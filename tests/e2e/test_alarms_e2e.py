"""Each alarm of the stack fires from its real cause and notifies the alerts topic: a function throttled by its
reserved concurrency (Lambda's Throttles, and the API's 5xx it causes), a function that fails (Errors), a saga
whose execution fails (Step Functions' ExecutionsFailed), the API's latency; the metrics are those the local
cloud writes as the AWS services do, never put by hand. The console lists each alarm with its state. (The
dead-letter queue's alarm fires in tests/e2e/test_redrive_e2e.py, from the event it keeps.)"""

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from checkout_saga.models import OrderStatus
from tests.e2e.test_compensation_failed_alarm import alerts_queue, raised_after
from tests.support.stack import Stack


def physical(stack: Stack, logical_id: str) -> str:
    """The alarm's name on the local cloud: `<stack>-<logical id>`, found among the cloud's alarms (other stacks
    deployed beside this one, e.g. `e2e-...`, have alarms of the same logical id)."""
    stack_name = stack.outputs["CheckoutStateMachineArn"].rsplit(":", 1)[1].removesuffix("-CheckoutStateMachine")
    names = [alarm["AlarmName"] for alarm in stack.client("cloudwatch").describe_alarms()["MetricAlarms"]]
    [name] = [name for name in names if name == f"{stack_name}-{logical_id}"]
    return str(name)


def raises(stack: Stack, queue_url: str, logical_id: str, cause: Callable[[], None]) -> dict[str, Any]:
    """Set the alarm back to OK, cause its condition, and return its ALARM notification on the alerts topic."""
    name = physical(stack, logical_id)
    reset = datetime.now(UTC)
    stack.client("cloudwatch").set_alarm_state(AlarmName=name, StateValue="OK", StateReason="test: reset")
    cause()
    notifications = raised_after(stack, queue_url, name, reset)
    assert notifications, f"{name} did not fire"
    return notifications[0]


@pytest.fixture(scope="module")
def alerts(deployed_stack: Stack) -> str:
    return alerts_queue(deployed_stack)


def function_name(stack: Stack, logical_id: str) -> str:
    names = [f["FunctionName"] for f in stack.client("lambda").list_functions()["Functions"]]
    [name] = [name for name in names if name.startswith(f"e2e-{logical_id}")]
    return str(name)


@pytest.mark.e2e
def test_a_throttled_function_raises_the_throttle_and_5xx_alarms(deployed_stack: Stack, alerts: str) -> None:
    lam = deployed_stack.client("lambda")
    api_function = function_name(deployed_stack, "ApiFunction")
    answers: list[int] = []

    def throttle_the_api() -> None:
        lam.put_function_concurrency(FunctionName=api_function, ReservedConcurrentExecutions=0)
        try:
            url = f"{deployed_stack.outputs['ApiUrl']}/products"
            answers.append(requests.get(url, headers=deployed_stack.auth(), timeout=10).status_code)
        finally:
            lam.delete_function_concurrency(FunctionName=api_function)

    throttled = raises(deployed_stack, alerts, "LambdaThrottlesAlarm", throttle_the_api)

    [answer, *_] = answers
    assert answer >= 500
    assert throttled["Trigger"]["MetricName"] == "Throttles"
    five_xx = raises(deployed_stack, alerts, "Api5xxAlarm", throttle_the_api)
    assert five_xx["Trigger"]["Namespace"] == "AWS/ApiGateway"


@pytest.mark.e2e
def test_a_failing_function_raises_its_errors_alarm(deployed_stack: Stack, alerts: str) -> None:
    lam = deployed_stack.client("lambda")
    api_function = function_name(deployed_stack, "ApiFunction")
    results: list[dict[str, Any]] = []

    def invoke_with_no_request() -> None:  # an event API Gateway never sends: the handler fails on it
        results.append(lam.invoke(FunctionName=api_function, Payload=json.dumps({"not": "a request"}).encode()))

    notification = raises(deployed_stack, alerts, "ApiFunctionErrorsAlarm", invoke_with_no_request)

    assert "FunctionError" in results[0]
    assert notification["Trigger"]["Dimensions"] == [{"name": "FunctionName", "value": api_function}]


@pytest.mark.e2e
def test_a_failed_execution_and_the_apis_latency_raise_their_alarms(deployed_stack: Stack, alerts: str) -> None:
    order_id, customer = f"alarm-{uuid.uuid4().hex[:10]}", f"c-{uuid.uuid4().hex[:10]}"

    def a_declined_checkout() -> None:  # compensated: the execution ends in its Fail state
        document = {"orderId": order_id, "customerId": customer, "items": [{"sku": "KB-001", "quantity": 1}]}
        execution = deployed_stack.wait(
            deployed_stack.start({**document, "paymentToken": "tok_declined"}, name=order_id)
        )
        assert execution["status"] == "FAILED"

    failed = raises(deployed_stack, alerts, "CheckoutStateMachineFailedAlarm", a_declined_checkout)

    assert deployed_stack.orders.get(order_id).status is OrderStatus.CANCELLED
    assert failed["Trigger"]["MetricName"] == "ExecutionsFailed"
    # Its errors are logged, without the execution's data (the customer is in its input only).
    logged = execution_log(deployed_stack, "CheckoutStateMachine", order_id)
    assert "ExecutionFailed" in {json.loads(message)["type"] for message in logged}
    assert not [message for message in logged if customer in message]

    slow = raises(deployed_stack, alerts, "ApiLatencyAlarm", lambda: a_request(deployed_stack))
    assert slow["Trigger"]["MetricName"] == "Latency"


def a_request(stack: Stack) -> None:
    answer = requests.get(f"{stack.outputs['ApiUrl']}/products", headers=stack.auth(operator=True), timeout=10)
    assert answer.status_code == 200


def execution_log(stack: Stack, machine: str, execution_name: str) -> list[str]:
    """The state machine's log lines (its Logging destination) of one execution."""
    group = f"/aws/vendedlogs/states/e2e-{machine}"
    pages = stack.client("logs").get_paginator("filter_log_events").paginate(logGroupName=group)
    return [e["message"] for page in pages for e in page["events"] if f":{execution_name}" in e["message"]]


@pytest.mark.e2e
@pytest.mark.parametrize("output", ["CheckoutStateMachineArn", "ReturnStateMachineArn"])
def test_both_state_machines_log_errors_without_data_and_trace(deployed_stack: Stack, output: str) -> None:
    described = deployed_stack.client("stepfunctions").describe_state_machine(
        stateMachineArn=deployed_stack.outputs[output]
    )

    logging = described["loggingConfiguration"]
    assert (logging["level"], logging["includeExecutionData"]) == ("ERROR", False)
    [destination] = logging["destinations"]
    assert ":log-group:/aws/vendedlogs/states/e2e-" in destination["cloudWatchLogsLogGroup"]["logGroupArn"]
    assert described["tracingConfiguration"] == {"enabled": True}


@pytest.mark.e2e
def test_the_console_shows_each_alarms_state(deployed_stack: Stack, alerts: str) -> None:
    # The latency alarm's bound is 1 ms here: after a request it stays in ALARM for its minute.
    name = physical(deployed_stack, "ApiLatencyAlarm")
    raises(deployed_stack, alerts, "ApiLatencyAlarm", lambda: a_request(deployed_stack))

    answer = requests.get(f"{deployed_stack.endpoint_url}/_console/api/alarms", timeout=10)
    page = requests.get(f"{deployed_stack.endpoint_url}/_console/", timeout=10).text

    shown = {item["name"]: item["state"] for item in answer.json()["items"]}
    described = deployed_stack.client("cloudwatch").describe_alarms()["MetricAlarms"]
    assert set(shown) == {alarm["AlarmName"] for alarm in described}
    assert shown[name] == "ALARM"
    assert f'data-alarm="{name}" data-state="ALARM"' in page
    assert all(f'data-alarm="{alarm}"' in page for alarm in shown)
