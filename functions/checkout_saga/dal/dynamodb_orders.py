"""Orders table: one item per order, keyed by orderId."""

from typing import Any

from botocore.exceptions import ClientError

from checkout_saga.dal.dynamodb_values import plain
from checkout_saga.errors import OrderAlreadyExists
from checkout_saga.models import Order, OrderStatus


class DynamoDBOrders:
    def __init__(self, table: Any) -> None:
        self._table = table

    def get(self, order_id: str) -> Order | None:
        item = self._table.get_item(Key={"orderId": order_id}, ConsistentRead=True).get("Item")
        return Order.model_validate(plain(item)) if item else None

    def create(self, order: Order) -> Order:
        try:
            self._table.put_item(Item=order.to_payload(), ConditionExpression="attribute_not_exists(orderId)")
            return order
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
        stored = self.get(order.order_id)
        if stored is None or (stored.customer_id, stored.items) != (order.customer_id, order.items):
            raise OrderAlreadyExists(f"order {order.order_id} already exists with other contents")
        return stored

    def transition(self, order_id: str, to: OrderStatus, allowed_from: frozenset[OrderStatus], at: str) -> Order | None:
        allowed = sorted(allowed_from | {to})
        values = {f":s{i}": status.value for i, status in enumerate(allowed)}
        try:
            result = self._table.update_item(
                Key={"orderId": order_id},
                UpdateExpression="SET #status = :to, updatedAt = :at",
                ConditionExpression=f"attribute_exists(orderId) AND #status IN ({', '.join(values)})",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":to": to.value, ":at": at, **values},
                ReturnValues="ALL_NEW",
            )
            return Order.model_validate(plain(result["Attributes"]))
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
        return self.get(order_id)
