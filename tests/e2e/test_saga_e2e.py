"""The deployed stack on a real local cloud server: every path, started through the API and through
Step Functions, checked through the API and in the tables (order, stock, payment, saga log)."""

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from checkout_saga.models import OrderStatus, PaymentStatus
from saga_client.polling import pauses
from tests.support.stack import Stack

ROOT = Path(__file__).resolve().parents[2]
TERMINAL = {"CONFIRMED", "CANCELLED", "COMPENSATION_FAILED"}

# (token, fault plan, quantity, final status, payment status in the table, payment status in the API)
SCENARIOS = {
    "success": ("tok_visa", {}, 2, "CONFIRMED", PaymentStatus.CAPTURED, "CAPTURED"),
    "declined": ("tok_declined", {}, 2, "CANCELLED", PaymentStatus.DECLINED, "NONE"),
    "insufficient_funds": ("tok_insufficient_funds", {}, 2, "CANCELLED", PaymentStatus.DECLINED, "NONE"),
    "out_of_stock": ("tok_visa", {}, 11, "CANCELLED", None, "NONE"),
    "confirm_fails": (
        "tok_visa",
        {"ConfirmOrder": {"mode": "fail", "rate": 1.0}},
        2,
        "CANCELLED",
        PaymentStatus.REFUNDED,
        "REFUNDED",
    ),
    "flaky_card": ("tok_flaky", {}, 2, "CONFIRMED", PaymentStatus.CAPTURED, "CAPTURED"),
}


def api(stack: Stack) -> str:
    return stack.outputs["ApiUrl"]


def wait_for_order(stack: Stack, order_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    waits = pauses(0.05)
    while time.monotonic() < deadline:
        response = requests.get(f"{api(stack)}/orders/{order_id}", headers=stack.auth("ops", operator=True), timeout=10)
        if response.status_code == 200 and response.json()["status"] in TERMINAL:
            order: dict[str, Any] = response.json()
            return order
        time.sleep(next(waits))
    raise TimeoutError(order_id)


def check_final_data(stack: Stack, order: dict[str, Any], sku: str, scenario: str) -> None:
    _token, _plan, quantity, status, table_payment, api_payment = SCENARIOS[scenario]
    assert order["status"] == status
    assert order["payment"]["status"] == api_payment
    assert stack.orders.get(order["orderId"]).status is OrderStatus(status)
    payment = stack.payments.get(order["orderId"])
    assert (payment.status if payment else None) is table_payment
    taken = quantity if status == "CONFIRMED" else 0
    assert stack.available(sku) == {sku: 10 - taken}
    assert (
        requests.get(f"{api(stack)}/products/{sku}", headers=stack.auth(), timeout=10).json()["available"] == 10 - taken
    )
    history = [entry["state"] for entry in order["saga"]["history"]]
    assert history[-1] == status
    if status == "CONFIRMED":
        assert order["saga"]["failure"] is None
        assert order["totalCents"] == quantity * 1250
    else:
        assert order["saga"]["failure"]["step"] in {"ReserveStock", "ChargePayment", "ConfirmOrder"}


@pytest.mark.e2e
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_checkout_through_the_api(deployed_stack, sku, faults, scenario):
    token, plan, quantity, *_ = SCENARIOS[scenario]
    faults(plan)
    body: dict[str, Any] = {"customerId": "c-e2e", "items": [{"sku": sku, "quantity": quantity}], "paymentToken": token}

    response = requests.post(f"{api(deployed_stack)}/checkout", json=body, headers=deployed_stack.auth(), timeout=10)

    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["status"] == "PENDING"
    assert accepted["executionArn"].endswith(f":{accepted['orderId']}")
    check_final_data(deployed_stack, wait_for_order(deployed_stack, accepted["orderId"]), sku, scenario)


@pytest.mark.e2e
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_checkout_through_start_execution(deployed_stack, sku, faults, scenario):
    token, plan, quantity, *_ = SCENARIOS[scenario]
    faults(plan)
    order_id = f"sfn-{uuid.uuid4().hex[:12]}"
    document = {
        "orderId": order_id,
        "customerId": "c-e2e",
        "items": [{"sku": sku, "quantity": quantity}],
        "paymentToken": token,
    }

    execution = deployed_stack.wait(deployed_stack.start(document, name=order_id))

    assert execution["status"] == ("SUCCEEDED" if SCENARIOS[scenario][3] == "CONFIRMED" else "FAILED")
    check_final_data(deployed_stack, wait_for_order(deployed_stack, order_id), sku, scenario)


@pytest.mark.e2e
def test_the_readme_awslocal_command_runs_a_real_saga(deployed_stack):
    """`awslocal stepfunctions start-execution --input file://events/checkout.json`, as the README shows."""
    before = deployed_stack.available("KB-001", "MS-001")
    port = deployed_stack.endpoint_url.rsplit(":", 1)[1]
    env = {**os.environ, "LOCALSTACK_HOST": f"localhost:{port}", "AWS_DEFAULT_REGION": "us-east-1"}
    awslocal = Path(sys.executable).with_name("awslocal")

    result = subprocess.run(
        [
            str(awslocal),
            "stepfunctions",
            "start-execution",
            "--state-machine-arn",
            deployed_stack.outputs["CheckoutStateMachineArn"],
            "--input",
            "file://events/checkout.json",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    execution_arn = json.loads(result.stdout)["executionArn"]
    assert deployed_stack.wait(execution_arn)["status"] == "SUCCEEDED"
    order = wait_for_order(deployed_stack, execution_arn.rsplit(":", 1)[1])
    assert order["status"] == "CONFIRMED"
    assert order["payment"] == {"status": "CAPTURED", "amountCents": order["totalCents"], "refundedCents": 0}
    assert order["saga"]["state"] == "CONFIRMED"
    assert deployed_stack.available("KB-001", "MS-001") == {
        "KB-001": before["KB-001"] - 2,
        "MS-001": before["MS-001"] - 1,
    }
