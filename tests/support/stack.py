"""A deployed stack as the tests see it: its outputs, boto3 clients on its endpoint (None: in-process moto),
and the project's own repositories over its tables, to check the final data of every path."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import boto3

from checkout_saga.dal.dynamodb_inventory import DynamoDBInventory
from checkout_saga.dal.dynamodb_orders import DynamoDBOrders
from checkout_saga.dal.dynamodb_payments import DynamoDBPayments
from checkout_saga.dal.dynamodb_saga_log import DynamoDBSagaLog
from checkout_saga.models import Product

TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}

CATALOG = [
    Product(sku="KB-001", name="Mechanical keyboard", unit_price_cents=4999, available=100),
    Product(sku="MS-001", name="Wireless mouse", unit_price_cents=2599, available=100),
    Product(sku="MN-001", name="27-inch monitor", unit_price_cents=18999, available=100),
    Product(sku="CB-001", name="USB-C cable", unit_price_cents=499, available=100),
]


@dataclass
class Stack:
    outputs: dict[str, str]
    endpoint_url: str | None = None
    region: str = "us-east-1"
    _clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(service, endpoint_url=self.endpoint_url, region_name=self.region)
        return self._clients[service]

    @cached_property
    def _dynamodb(self) -> Any:
        return boto3.resource("dynamodb", endpoint_url=self.endpoint_url, region_name=self.region)

    @cached_property
    def orders(self) -> DynamoDBOrders:
        return DynamoDBOrders(self._dynamodb.Table(self.outputs["OrdersTableName"]))

    @cached_property
    def inventory(self) -> DynamoDBInventory:
        return DynamoDBInventory(self._dynamodb.Table(self.outputs["InventoryTableName"]))

    @cached_property
    def payments(self) -> DynamoDBPayments:
        return DynamoDBPayments(self._dynamodb.Table(self.outputs["PaymentsTableName"]))

    @cached_property
    def saga_log(self) -> DynamoDBSagaLog:
        return DynamoDBSagaLog(self._dynamodb.Table(self.outputs["SagaLogTableName"]))

    # ------------------------------------------------------------------ data
    def seed(self, products: list[Product] = CATALOG) -> None:
        for product in products:
            self.inventory.put_product(product)

    def available(self, *skus: str) -> dict[str, int]:
        products = self.inventory.get_products(list(skus))
        return {sku: products[sku].available for sku in skus}

    def set_faults(self, plan: dict[str, Any]) -> None:
        self.client("ssm").put_parameter(
            Name=self.outputs["FaultsParameterName"], Value=json.dumps(plan), Type="String", Overwrite=True
        )

    # ------------------------------------------------------------ executions
    def start(self, document: dict[str, Any], name: str | None = None) -> str:
        kwargs = {"name": name} if name else {}
        return self.client("stepfunctions").start_execution(
            stateMachineArn=self.outputs["CheckoutStateMachineArn"], input=json.dumps(document), **kwargs
        )["executionArn"]

    def wait(self, execution_arn: str, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            described = self.client("stepfunctions").describe_execution(executionArn=execution_arn)
            if described["status"] in TERMINAL:
                return described
            if time.monotonic() > deadline:
                raise TimeoutError(f"{execution_arn} still {described['status']} after {timeout} s")
            time.sleep(0.05)

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
        while True:
            page = self.client("stepfunctions").get_execution_history(**kwargs)
            events.extend(page["events"])
            if not page.get("nextToken"):
                return events
            kwargs["nextToken"] = page["nextToken"]

    def entered_states(self, execution_arn: str) -> list[str]:
        return [
            event["stateEnteredEventDetails"]["name"]
            for event in self.history(execution_arn)
            if event["type"].endswith("StateEntered")
        ]

    def failed_task_attempts(self, execution_arn: str) -> int:
        return sum(
            1 for event in self.history(execution_arn) if event["type"] in ("LambdaFunctionFailed", "TaskFailed")
        )
