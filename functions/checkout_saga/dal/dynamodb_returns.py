"""Returns table: one item per return, keyed by returnId, with a `byOrder` index (orderId, requestedAt).

A return claims units of its order: the claim and the return's validation are one TransactWriteItems over
the return and the order, conditional on the order's `returnsVersion`, so concurrent returns of one order
can never claim more units than were bought (the loser re-reads and decides again)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from checkout_saga.dal.aws_errors import CONDITION_FAILED, REFUSED, error_code
from checkout_saga.dal.dynamodb_updates import COUNT_MARK, is_resumed_mark, update_if
from checkout_saga.dal.dynamodb_values import plain
from checkout_saga.dal.interfaces import ResumedMark
from checkout_saga.models import Order, OrderStatus, ReturnRecord, ReturnStatus

if TYPE_CHECKING:  # the stubs are a development dependency; the Lambda runtime does not need them
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_dynamodb.type_defs import UpdateTypeDef

BY_ORDER_INDEX = "byOrder"  # template.yaml: orderId HASH, requestedAt RANGE
_REFUSED = ("TransactionCanceledException", "ConditionalCheckFailedException")


class DynamoDBReturns:
    def __init__(self, table: Table, orders_table_name: str) -> None:
        self._table = table
        self._client = table.meta.client
        self._orders = orders_table_name

    def get(self, return_id: str) -> ReturnRecord | None:
        item = self._table.get_item(Key={"returnId": return_id}, ConsistentRead=True).get("Item")
        return ReturnRecord.model_validate(plain(item)) if item else None

    def list_for_order(self, order_id: str) -> list[ReturnRecord]:
        query: dict[str, Any] = {"IndexName": BY_ORDER_INDEX, "KeyConditionExpression": Key("orderId").eq(order_id)}
        found: list[ReturnRecord] = []
        while True:
            response = self._table.query(**query)
            found.extend(ReturnRecord.model_validate(plain(item)) for item in response.get("Items", []))
            if not response.get("LastEvaluatedKey"):
                return found
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def create(self, record: ReturnRecord) -> ReturnRecord:
        try:
            self._table.put_item(
                Item=record.to_payload(exclude_none=True), ConditionExpression="attribute_not_exists(returnId)"
            )
            return record
        except ClientError as exc:
            if error_code(exc) != CONDITION_FAILED:
                raise
        stored = self.get(record.return_id)
        assert stored is not None  # the condition failed, so it exists
        return stored

    def claim(self, validated: ReturnRecord, order: Order, returned_units: dict[str, int]) -> bool:
        return self._with_order(
            {
                "TableName": self._table.name,
                "Key": {"returnId": validated.return_id},
                "UpdateExpression": "SET #items = :items, refundCents = :refund, validatedAt = :at, updatedAt = :at",
                "ConditionExpression": "#status = :pending AND attribute_not_exists(validatedAt)",
                "ExpressionAttributeNames": {"#status": "status", "#items": "items"},
                "ExpressionAttributeValues": {
                    ":items": [item.to_payload() for item in validated.items],
                    ":refund": validated.refund_cents,
                    ":at": validated.validated_at,
                    ":pending": ReturnStatus.PENDING.value,
                },
            },
            order,
            returned_units,
            must_be_confirmed=True,
        )

    def cancel(
        self,
        record: ReturnRecord,
        order: Order | None,
        returned_units: dict[str, int],
        at: str,
        resumes: ResumedMark | None = None,
    ) -> bool:
        """PENDING -> CANCELLED, and COMPENSATION_FAILED -> CANCELLED in the resume of that mark (`resumes`); a
        validated return gives its claim back in the same transaction. False if a condition refused it (nothing
        was written)."""
        claimed = record.validated_at is not None and order is not None
        cancellable = "#status = :pending"
        values: dict[str, Any] = {":pending": ReturnStatus.PENDING.value}
        if resumes is not None:
            mark, mark_values = is_resumed_mark(resumes)
            cancellable = f"({cancellable} OR {mark})"
            values.update(mark_values)
        update: UpdateTypeDef = {
            "TableName": self._table.name,
            "Key": {"returnId": record.return_id},
            "UpdateExpression": "SET #status = :cancelled, updatedAt = :at",
            "ConditionExpression": f"{cancellable} AND "
            + ("attribute_exists(validatedAt)" if claimed else "attribute_not_exists(validatedAt)"),
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {":cancelled": ReturnStatus.CANCELLED.value, ":at": at, **values},
        }
        if not claimed:
            try:
                self._client.update_item(**update)
                return True
            except ClientError as exc:
                if error_code(exc) not in REFUSED:
                    raise
                return False
        assert order is not None
        return self._with_order(update, order, returned_units, must_be_confirmed=False)

    def _with_order(
        self, return_update: UpdateTypeDef, order: Order, returned_units: dict[str, int], must_be_confirmed: bool
    ) -> bool:
        """`return_update` and the order's new `returnedUnits`, in one transaction, conditional on the order's
        returnsVersion being the one read. False if any condition refused it (nothing was written)."""
        condition = "returnsVersion = :version OR (attribute_not_exists(returnsVersion) AND :version = :zero)"
        values: dict[str, Any] = {
            ":units": returned_units,
            ":next": order.returns_version + 1,
            ":version": order.returns_version,
            ":zero": 0,
        }
        order_update: UpdateTypeDef = {
            "TableName": self._orders,
            "Key": {"orderId": order.order_id},
            "UpdateExpression": "SET returnedUnits = :units, returnsVersion = :next",
            "ConditionExpression": f"attribute_exists(orderId) AND ({condition})",
            "ExpressionAttributeValues": values,
        }
        if must_be_confirmed:
            order_update["ConditionExpression"] += " AND #status = :confirmed"
            order_update["ExpressionAttributeNames"] = {"#status": "status"}
            values[":confirmed"] = OrderStatus.CONFIRMED.value
        try:
            self._client.transact_write_items(TransactItems=[{"Update": return_update}, {"Update": order_update}])
            return True
        except ClientError as exc:
            if error_code(exc) not in REFUSED:
                raise
            return False

    def reject(self, return_id: str, rejection: str, at: str) -> ReturnRecord | None:
        return self._update(
            return_id,
            "SET #status = :to, rejection = :why, updatedAt = :at",
            "#status = :pending AND attribute_not_exists(validatedAt)",
            {":to": ReturnStatus.REJECTED.value, ":why": rejection, ":at": at},
        )

    def complete(self, return_id: str, at: str) -> ReturnRecord | None:
        return self._update(
            return_id,
            "SET #status = :to, updatedAt = :at",
            "#status = :pending AND attribute_exists(validatedAt) AND attribute_not_exists(fencedAt)",
            {":to": ReturnStatus.COMPLETED.value, ":at": at},
        )

    def fence(self, return_id: str, at: str) -> ReturnRecord | None:
        return self._update(
            return_id,
            "SET fencedAt = :at",
            "#status = :pending AND attribute_not_exists(fencedAt)",
            {":at": at},
        )

    def mark_compensation_failed(self, return_id: str, at: str, again: bool = False) -> ReturnRecord | None:
        return self._update(
            return_id,
            f"SET #status = :to, updatedAt = :at {COUNT_MARK}",
            "#status IN (:pending, :to)" if again else "#status = :pending",
            {":to": ReturnStatus.COMPENSATION_FAILED.value, ":at": at, ":one": 1},
        )

    def _update(self, return_id: str, expression: str, condition: str, values: dict[str, Any]) -> ReturnRecord | None:
        """One conditional update of an existing return; the return as it is afterwards, None if there is none."""
        condition = f"attribute_exists(returnId) AND {condition}"
        values = {":pending": ReturnStatus.PENDING.value, **values}
        now = update_if(self._table, {"returnId": return_id}, expression, condition, values, {"#status": "status"})
        return ReturnRecord.model_validate(now.item) if now.item is not None else None
