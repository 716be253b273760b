"""The API's handler, in process, fed real API Gateway REST proxy events, against in-process moto: the tables
come from template.yaml and the state machine is a plain Pass (these tests check what the API starts, the
saga itself is tested in tests/statemachine)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from checkout_saga.handlers import api
from checkout_saga.handlers.dependencies import reset_caches
from checkout_saga.models import Product
from tests.support.events import LambdaContextStub, api_event
from tests.support.stack import Stack
from tests.support.template_tables import create_tables

PASS_MACHINE = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
CATALOG = [
    Product(sku="KB-001", name="Mechanical keyboard", unit_price_cents=4999, available=10),
    Product(sku="MS-001", name="Wireless mouse", unit_price_cents=2599, available=5),
]


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: Any

    @classmethod
    def of(cls, result: dict[str, Any]) -> ApiResponse:
        headers = {name: values[-1] for name, values in (result.get("multiValueHeaders") or {}).items()}
        headers.update(result.get("headers") or {})
        body = result.get("body")
        return cls(int(result["statusCode"]), headers, json.loads(body) if body else None)


@dataclass
class Cloud:
    stack: Stack
    tables: dict[str, str]

    def items(self, logical_id: str) -> list[dict[str, Any]]:
        """Every item of a table (the tests may scan; the API may not)."""
        table = boto3.resource("dynamodb", region_name=self.stack.region).Table(self.tables[logical_id])
        return list(table.scan()["Items"])

    def executions(self) -> list[dict[str, Any]]:
        machine = self.stack.outputs["CheckoutStateMachineArn"]
        listed = self.stack.client("stepfunctions").list_executions(stateMachineArn=machine)["executions"]
        return [self.stack.client("stepfunctions").describe_execution(executionArn=e["executionArn"]) for e in listed]


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    with mock_aws():
        tables = create_tables(boto3.client("dynamodb", region_name="us-east-1"))
        machine = boto3.client("stepfunctions", region_name="us-east-1").create_state_machine(
            name="CheckoutStateMachine",
            definition=json.dumps(PASS_MACHINE),
            roleArn="arn:aws:iam::123456789012:role/checkout-saga",
        )["stateMachineArn"]
        environment = {
            "ORDERS_TABLE": tables["OrdersTable"],
            "INVENTORY_TABLE": tables["InventoryTable"],
            "PAYMENTS_TABLE": tables["PaymentsTable"],
            "SAGA_LOG_TABLE": tables["SagaLogTable"],
            "IDEMPOTENCY_TABLE": tables["IdempotencyTable"],
            "STATE_MACHINE_ARN": machine,
        }
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        outputs = {f"{logical_id}Name": name for logical_id, name in tables.items()}
        stack = Stack({**outputs, "CheckoutStateMachineArn": machine})
        stack.seed(CATALOG)
        reset_caches()
        yield Cloud(stack, tables)
    reset_caches()


Call = Callable[..., ApiResponse]


@pytest.fixture
def call(cloud: Cloud) -> Call:
    """call("POST", "/checkout", body={...}, headers={...}) -> ApiResponse, through the Lambda handler."""

    def invoke(method: str, path: str, **kwargs: Any) -> ApiResponse:
        return ApiResponse.of(api.handler(api_event(method, path, **kwargs), LambdaContextStub()))

    return invoke


def checkout_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customerId": "c-42",
        "items": [{"sku": "KB-001", "quantity": 2}, {"sku": "MS-001", "quantity": 1}],
        "paymentToken": "tok_visa",
    }
    body.update(overrides)
    return body
