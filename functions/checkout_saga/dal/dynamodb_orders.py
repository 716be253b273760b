"""Orders table: one item per order, keyed by orderId. `fencedAt` (not part of the Order model) marks a
PENDING order whose undo has begun: ConfirmOrder's conditional write refuses it, so the pivot is decided by
one item, atomically."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from checkout_saga.dal.aws_errors import CONDITION_FAILED, error_code
from checkout_saga.dal.dynamodb_saga_log import require_dynamodb
from checkout_saga.dal.dynamodb_transactions import transact
from checkout_saga.dal.dynamodb_updates import COUNT_MARK, is_resumed_mark, update_if
from checkout_saga.dal.dynamodb_values import from_wire, plain
from checkout_saga.dal.interfaces import LogAppend, PageKey, ResumedMark
from checkout_saga.errors import OrderAlreadyExists
from checkout_saga.models import Order, OrderStatus

if TYPE_CHECKING:  # the stubs are a development dependency; the Lambda runtime does not need them
    from mypy_boto3_dynamodb.service_resource import Table

BY_CUSTOMER_INDEX = "byCustomer"  # template.yaml: customerId HASH, createdAt RANGE
CANCELLABLE = frozenset({OrderStatus.PENDING, OrderStatus.CONFIRMED})  # and a COMPENSATION_FAILED one, resumed


class DynamoDBOrders:
    def __init__(self, table: Table) -> None:
        self._table = table
        self._client = table.meta.client

    def get(self, order_id: str) -> Order | None:
        item = self._table.get_item(Key={"orderId": order_id}, ConsistentRead=True).get("Item")
        return Order.model_validate(plain(item)) if item else None

    def create(self, order: Order, log: LogAppend | None = None) -> Order:
        item, condition = order.to_payload(), "attribute_not_exists(orderId)"
        append = require_dynamodb(log)
        if append is not None:
            put = {"TableName": self._table.name, "Item": item, "ConditionExpression": condition}
            refusal = transact(self._client, [{"Put": put}, *append.transact_items()])
            append.settle(refusal, 1)
            if refusal is None:
                return order
            stored_item = refusal.stored(0)
            if stored_item is None:  # only the log refused (it has the transition already): store the order alone
                return self.create(order)
            return self._same_contents(order, Order.model_validate(stored_item))
        try:
            # A refusal carries the order stored under the id: CreateOrder needs no read (nor its permission).
            self._table.put_item(
                Item=item, ConditionExpression=condition, ReturnValuesOnConditionCheckFailure="ALL_OLD"
            )
            return order
        except ClientError as exc:
            if error_code(exc) != CONDITION_FAILED:
                raise
            stored = exc.response.get("Item")
        if not stored:
            raise OrderAlreadyExists(f"order {order.order_id} already exists with other contents")
        return self._same_contents(order, Order.model_validate(from_wire(stored)))

    @staticmethod
    def _same_contents(order: Order, stored: Order) -> Order:
        if (stored.customer_id, stored.items) != (order.customer_id, order.items):
            raise OrderAlreadyExists(f"order {order.order_id} already exists with other contents")
        return stored

    def mark_compensation_failed(self, order_id: str, at: str, again: bool = False) -> Order | None:
        marked = OrderStatus.COMPENSATION_FAILED
        allowed = {OrderStatus.PENDING, OrderStatus.CONFIRMED} | ({marked} if again else set())
        values = {f":s{i}": status.value for i, status in enumerate(sorted(allowed))}
        return self._update(
            order_id,
            f"SET #status = :to, updatedAt = :at {COUNT_MARK}",
            f"#status IN ({', '.join(values)})",
            {":to": marked.value, ":at": at, ":one": 1, **values},
        )

    def cancel(
        self, order_id: str, at: str, log: LogAppend | None = None, resumes: ResumedMark | None = None
    ) -> OrderStatus | None:
        expression, condition, values = _transition(OrderStatus.CANCELLED, CANCELLABLE, at)
        if resumes is not None:
            mark, mark_values = is_resumed_mark(resumes)
            condition, values = f"({condition} OR {mark})", {**values, **mark_values}
        return self._set_status(order_id, OrderStatus.CANCELLED, (expression, condition, values), log)

    def confirm(self, order_id: str, at: str, log: LogAppend | None = None) -> OrderStatus | None:
        change = (
            "SET #status = :to, updatedAt = :at",
            "#status = :pending AND attribute_not_exists(fencedAt)",
            {":to": OrderStatus.CONFIRMED.value, ":pending": OrderStatus.PENDING.value, ":at": at},
        )
        return self._set_status(order_id, OrderStatus.CONFIRMED, change, log)

    def _set_status(
        self, order_id: str, to: OrderStatus, change: tuple[str, str, dict[str, Any]], log: LogAppend | None
    ) -> OrderStatus | None:
        """One conditional status change, with the saga log's append if given; the status afterwards, None if
        there is no such order."""
        expression, condition, values = change
        append = require_dynamodb(log)
        if append is None:
            order = self._update(order_id, expression, condition, values)
            return order.status if order is not None else None
        update = {
            "TableName": self._table.name,
            "Key": {"orderId": order_id},
            "UpdateExpression": expression,
            "ConditionExpression": f"attribute_exists(orderId) AND {condition}",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": values,
        }
        refusal = transact(self._client, [{"Update": update}, *append.transact_items()])
        append.settle(refusal, 1)
        if refusal is None:
            return to
        stored = refusal.stored(0)
        if stored is None and not refusal.refused(0):  # only the log refused (it has the transition)
            return self._set_status(order_id, to, change, None)
        return OrderStatus(stored["status"]) if stored is not None else None

    def fence(self, order_id: str, at: str) -> Order | None:
        return self._update(
            order_id,
            "SET fencedAt = :at",
            "#status = :pending AND attribute_not_exists(fencedAt)",
            {":pending": OrderStatus.PENDING.value, ":at": at},
        )

    def list_by_customer(
        self, customer_id: str, limit: int, exclusive_start_key: PageKey | None = None
    ) -> tuple[list[Order], PageKey | None]:
        query: dict[str, Any] = {
            "IndexName": BY_CUSTOMER_INDEX,
            "KeyConditionExpression": Key("customerId").eq(customer_id),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if exclusive_start_key:
            query["ExclusiveStartKey"] = exclusive_start_key
        response = self._table.query(**query)
        return [Order.model_validate(plain(item)) for item in response.get("Items", [])], response.get(
            "LastEvaluatedKey"
        )

    def _update(self, order_id: str, expression: str, condition: str, values: dict[str, Any]) -> Order | None:
        """One conditional update of an existing order; the order as it is afterwards, None if there is none."""
        condition = f"attribute_exists(orderId) AND {condition}"
        item = update_if(self._table, {"orderId": order_id}, expression, condition, values, {"#status": "status"}).item
        return Order.model_validate(item) if item is not None else None


def _transition(to: OrderStatus, allowed_from: frozenset[OrderStatus], at: str) -> tuple[str, str, dict[str, Any]]:
    # Not from `to` itself: an order already there keeps its updatedAt (a step delivered twice writes nothing).
    allowed = sorted(allowed_from - {to})
    values = {f":s{i}": status.value for i, status in enumerate(allowed)}
    return (
        "SET #status = :to, updatedAt = :at",
        f"#status IN ({', '.join(values)})",
        {":to": to.value, ":at": at, **values},
    )
