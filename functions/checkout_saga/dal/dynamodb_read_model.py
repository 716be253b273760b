"""The customers' read model table: one item per saga (customerId HASH, sagaId RANGE), its projection
(logic/customer_summary.py). An update adds its events' types to the `events` set and sets what those events alone
carry: repeating it, or applying events in any order, leaves the same item, so no condition is needed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key

from checkout_saga.dal.dynamodb_values import plain
from checkout_saga.models import ProjectionChange, SagaProjection

if TYPE_CHECKING:  # the stubs are a development dependency; the Lambda runtime does not need them
    from mypy_boto3_dynamodb.service_resource import Table

_CARRIED = {"placedAt": "placed_at", "spentCents": "spent_cents", "refundedCents": "refunded_cents"}


class DynamoDBReadModel:
    def __init__(self, table: Table) -> None:
        self._table = table

    def apply(self, change: ProjectionChange) -> None:
        assignments = ["kind = :kind"]
        values: dict[str, Any] = {":kind": change.kind, ":event": set(change.event_types)}
        for attribute, name in _CARRIED.items():
            value = getattr(change, name)
            if value is not None:
                assignments.append(f"{attribute} = :{attribute}")
                values[f":{attribute}"] = value
        self._table.update_item(
            Key={"customerId": change.customer_id, "sagaId": change.saga_id},
            UpdateExpression=f"SET {', '.join(assignments)} ADD events :event",
            ExpressionAttributeValues=values,
        )

    def projections_of(self, customer_id: str) -> list[SagaProjection]:
        query: dict[str, Any] = {"KeyConditionExpression": Key("customerId").eq(customer_id), "ConsistentRead": True}
        found: list[SagaProjection] = []
        while True:
            response = self._table.query(**query)
            found.extend(SagaProjection.model_validate(plain(item)) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return found
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
