"""A deployed stack as the tests see it: saga_client's StackData (outputs, clients on its endpoint — None: in-process
moto —, the project's own repositories over its tables, histories) plus what only tests do: seeding products
directly, and reading which states an execution entered."""

from __future__ import annotations

from functools import cached_property

from checkout_saga.dal.dynamodb_inventory import product_key
from checkout_saga.models import Product
from saga_client.identity import StackIdentities
from saga_client.stack_data import StackData

CATALOG = [
    Product(sku="KB-001", name="Mechanical keyboard", unit_price_cents=4999, available=100),
    Product(sku="MS-001", name="Wireless mouse", unit_price_cents=2599, available=100),
    Product(sku="MN-001", name="27-inch monitor", unit_price_cents=18999, available=100),
    Product(sku="CB-001", name="USB-C cable", unit_price_cents=499, available=100),
]


class Stack(StackData):
    # -------------------------------------------------------------- sign-in
    @cached_property
    def identities(self) -> StackIdentities:
        return StackIdentities.of(self.outputs, self.endpoint_url)

    def auth(self, username: str = "c-e2e", *, operator: bool = False) -> dict[str, str]:
        """The Authorization header of a signed-in customer (`username`), or of an operator."""
        token = self.identities.operator(username) if operator else self.identities.token(username)
        return {"Authorization": token}

    # ------------------------------------------------------------------ data
    def seed(self, products: list[Product] = CATALOG) -> None:
        for product in products:
            self.inventory.put_product(product)

    def withdraw_product(self, sku: str) -> None:
        """Delete a product from the catalog (the API has no such route)."""
        self._table("InventoryTableName").delete_item(Key={"pk": product_key(sku)})

    def available(self, *skus: str) -> dict[str, int]:
        products = self.inventory.get_products(list(skus))
        return {sku: products[sku].available for sku in skus}

    # ------------------------------------------------------------ executions
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
