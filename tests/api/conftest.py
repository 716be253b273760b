"""The API's handler, in process, fed real API Gateway REST proxy events, against in-process moto: the tables
come from template.yaml and the state machine is a plain Pass (these tests check what the API starts; the
saga itself is tested in tests/statemachine). IAM is enforced as on the local cloud: the handler acts with its
execution role from template.yaml, so a permission missing there fails here.

One moto cloud per module (creating clients and tables is what costs); each test gets empty tables but the seeded
catalog, and a state machine of its own, so it sees only the executions it started."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import boto3
import pytest
from moto import mock_aws

from checkout_saga.handlers import api
from checkout_saga.handlers.dependencies import reset_caches
from checkout_saga.models import Product
from checkout_saga.settings import DEFAULT_FAULTS_PARAMETER as FAULTS_PARAMETER
from local_cloud.awslambda import invocation_credentials
from local_cloud.dynamodb import patches as dynamodb_seams
from local_cloud.iam import enforcement as iam_enforcement
from tests.support.events import LambdaContextStub, api_event
from tests.support.function_roles import FunctionRole, key_policy
from tests.support.stack import Stack
from tests.support.template_tables import create_tables, table_properties

REGION = "us-east-1"
PASS_MACHINE = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})
CATALOG = [
    Product(sku="KB-001", name="Mechanical keyboard", unit_price_cents=4999, available=10),
    Product(sku="MS-001", name="Wireless mouse", unit_price_cents=2599, available=5),
]
_machines = itertools.count(1)
NO_MACHINE_YET = f"arn:aws:states:{REGION}:123456789012:stateMachine:none-yet"  # each test creates its own


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
    tables: dict[str, str]
    role: FunctionRole
    payment_token_key: str
    state_machine_arn: str = ""
    return_state_machine_arn: str = ""
    seeded_catalog: list[dict[str, Any]] | None = None  # the catalog table's items as reset() seeded them

    @cached_property
    def dynamodb(self) -> Any:
        return boto3.resource("dynamodb", region_name=REGION)

    @cached_property
    def stepfunctions(self) -> Any:
        return boto3.client("stepfunctions", region_name=REGION)

    @cached_property
    def stack(self) -> Stack:
        """The project's repositories over these tables (to arrange and check data)."""
        outputs = {f"{logical_id}Name": name for logical_id, name in self.tables.items()}
        machines = {"CheckoutStateMachineArn": self.state_machine_arn}
        machines["ReturnStateMachineArn"] = self.return_state_machine_arn
        return Stack({**outputs, **machines})

    def items(self, logical_id: str) -> list[dict[str, Any]]:
        """Every item of a table (the tests may scan; the API may not)."""
        return list(self.dynamodb.Table(self.tables[logical_id]).scan(ConsistentRead=True)["Items"])

    def executions(self, machine_arn: str | None = None) -> list[dict[str, Any]]:
        """The executions of the checkout state machine (or of `machine_arn`)."""
        arn = machine_arn or self.state_machine_arn
        listed = self.stepfunctions.list_executions(stateMachineArn=arn)["executions"]
        return [self.stepfunctions.describe_execution(executionArn=e["executionArn"]) for e in listed]

    def reset(self, catalog: list[Product]) -> None:
        """Every table emptied but the catalog's, which is seeded with `catalog` unless it holds just that already
        (most tests leave it as seeded: seeding costs a read and a transaction per product)."""
        for logical_id, properties in table_properties().items():
            table = self.dynamodb.Table(self.tables[logical_id])
            items = table.scan(ConsistentRead=True)["Items"]
            if logical_id == "InventoryTable" and items == self.seeded_catalog:
                continue
            keys = [key["AttributeName"] for key in properties["KeySchema"]]
            with table.batch_writer() as batch:
                for item in items:
                    batch.delete_item(Key={key: item[key] for key in keys})
            if logical_id == "InventoryTable":
                self.stack.seed(catalog)
                self.seeded_catalog = table.scan(ConsistentRead=True)["Items"]

    def new_state_machines(self) -> tuple[str, str]:
        """A checkout and a return state machine of its own for each test."""
        number = next(_machines)
        self.state_machine_arn, self.return_state_machine_arn = (
            self.stepfunctions.create_state_machine(
                name=f"{kind}StateMachine{number}",
                definition=PASS_MACHINE,
                roleArn="arn:aws:iam::123456789012:role/checkout-saga",
            )["stateMachineArn"]
            for kind in ("Checkout", "Return")
        )
        self.role.grant(self.physical())
        if "stack" in self.__dict__:  # the same clients (building them costs), the new machines
            self.stack.outputs.update(CheckoutStateMachineArn=self.state_machine_arn)
            self.stack.outputs.update(ReturnStateMachineArn=self.return_state_machine_arn)
        return self.state_machine_arn, self.return_state_machine_arn

    def physical(self) -> dict[str, str]:
        """What the ApiFunction's policies name, in this suite."""
        return {
            **self.tables,
            "CheckoutStateMachine": self.state_machine_arn,
            "ReturnStateMachine": self.return_state_machine_arn,
            # The API starts sagas through each machine's alias `live` (template.yaml); in process, moto's plain
            # Step Functions has no aliases, so the suite's machine stands for its alias.
            "CheckoutStateMachineAliaslive": self.state_machine_arn,
            "ReturnStateMachineAliaslive": self.return_state_machine_arn,
            "FaultsParameter": FAULTS_PARAMETER,
            "PaymentTokenKey": self.payment_token_key,
        }


@pytest.fixture(scope="module")
def moto_cloud() -> Iterator[Cloud]:
    with (
        mock_aws(),
        pytest.MonkeyPatch.context() as environment,
        iam_enforcement.install(),
        invocation_credentials.install(),
        dynamodb_seams.install_all(),  # as the local cloud's DynamoDB: atomic requests, item-level transactions
    ):
        tables = create_tables(boto3.client("dynamodb", region_name=REGION))
        key = boto3.client("kms", region_name=REGION).create_key(
            Description="payment tokens", Policy=key_policy("PaymentTokenKey")
        )["KeyMetadata"]["Arn"]
        physical = {
            **tables,
            "CheckoutStateMachine": NO_MACHINE_YET,
            "ReturnStateMachine": NO_MACHINE_YET,
            "CheckoutStateMachineAliaslive": NO_MACHINE_YET,
            "ReturnStateMachineAliaslive": NO_MACHINE_YET,
            "FaultsParameter": FAULTS_PARAMETER,
            "PaymentTokenKey": key,
        }
        role = FunctionRole(boto3.client("iam", region_name=REGION), "ApiFunction", physical)
        cloud = Cloud(tables, role, key)
        environment.setenv("PAYMENT_TOKEN_KEY", key)
        environment.setenv("FAULTS_PARAMETER", FAULTS_PARAMETER)  # as a stack deployed with fault injection
        for variable, logical_id in [
            ("ORDERS_TABLE", "OrdersTable"),
            ("INVENTORY_TABLE", "InventoryTable"),
            ("PAYMENTS_TABLE", "PaymentsTable"),
            ("SAGA_LOG_TABLE", "SagaLogTable"),
            ("IDEMPOTENCY_TABLE", "IdempotencyTable"),
            ("RETURNS_TABLE", "ReturnsTable"),
            ("RETURN_SAGA_LOG_TABLE", "ReturnSagaLogTable"),
            ("READ_MODEL_TABLE", "CustomerSummariesTable"),
        ]:
            environment.setenv(variable, cloud.tables[logical_id])
        reset_caches()
        yield cloud
    reset_caches()


@pytest.fixture
def cloud(moto_cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> Cloud:
    checkout_machine, return_machine = moto_cloud.new_state_machines()
    monkeypatch.setenv("STATE_MACHINE_ARN", checkout_machine)
    monkeypatch.setenv("RETURN_STATE_MACHINE_ARN", return_machine)
    moto_cloud.reset(CATALOG)
    return moto_cloud


Call = Callable[..., ApiResponse]


@pytest.fixture
def call(cloud: Cloud) -> Call:
    """call("POST", "/checkout", body={...}, headers={...}) -> ApiResponse, through the Lambda handler."""

    def invoke(method: str, path: str, **kwargs: Any) -> ApiResponse:
        with cloud.role.acting():
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
