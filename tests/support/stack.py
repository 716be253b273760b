"""A deployed stack as the tests see it: saga_client's StackData (outputs, clients on its endpoint — None: in-process
moto —, the project's own repositories over its tables, histories) plus what only tests do: seeding products
directly, starting and waiting for executions, and reading which states they entered."""

from __future__ import annotations

import json
import time
from typing import Any

from checkout_saga.models import Product
from saga_client.stack_data import EXECUTION_DONE, StackData

TERMINAL = EXECUTION_DONE

CATALOG = [
    Product(sku="KB-001", name="Mechanical keyboard", unit_price_cents=4999, available=100),
    Product(sku="MS-001", name="Wireless mouse", unit_price_cents=2599, available=100),
    Product(sku="MN-001", name="27-inch monitor", unit_price_cents=18999, available=100),
    Product(sku="CB-001", name="USB-C cable", unit_price_cents=499, available=100),
]


class Stack(StackData):
    # ------------------------------------------------------------------ data
    def seed(self, products: list[Product] = CATALOG) -> None:
        for product in products:
            self.inventory.put_product(product)

    def available(self, *skus: str) -> dict[str, int]:
        products = self.inventory.get_products(list(skus))
        return {sku: products[sku].available for sku in skus}

    # ------------------------------------------------------------ executions
    def start(self, document: dict[str, Any], name: str | None = None) -> str:
        kwargs = {"name": name} if name else {}
        return str(
            self.client("stepfunctions").start_execution(
                stateMachineArn=self.outputs["CheckoutStateMachineArn"], input=json.dumps(document), **kwargs
            )["executionArn"]
        )

    def wait(self, execution_arn: str, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            described: dict[str, Any] = self.client("stepfunctions").describe_execution(executionArn=execution_arn)
            if described["status"] in TERMINAL:
                return described
            if time.monotonic() > deadline:
                raise TimeoutError(f"{execution_arn} still {described['status']} after {timeout} s")
            time.sleep(0.05)

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
