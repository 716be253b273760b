"""The customers' read model table: one item per event of a saga (customerId HASH, eventKey RANGE, which is
`<sagaId>#<event type>`), holding the saga's kind and what that event alone carries (logic/customer_summary.py). An
event's item is the same however often and in whatever order the events come, so keeping the model is plain puts,
with no condition and no read: a batch of events goes 25 items to a request (BatchWriteItem). A saga's projection
is folded from its events' items when it is read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key

from checkout_saga.dal.dynamodb_values import plain
from checkout_saga.models import ProjectionChange, SagaProjection

if TYPE_CHECKING:  # the stubs are a development dependency; the Lambda runtime does not need them
    from mypy_boto3_dynamodb.service_resource import Table

CUSTOMER, EVENT_KEY = "customerId", "eventKey"
_CARRIED = {"placedAt": "placed_at", "spentCents": "spent_cents", "refundedCents": "refunded_cents"}


class DynamoDBReadModel:
    def __init__(self, table: Table) -> None:
        self._table = table

    def apply(self, changes: Iterable[ProjectionChange]) -> None:
        # boto3's batch writer sends 25 items a request and sends again what DynamoDB left unprocessed; an event
        # delivered twice in one batch is one put (a request may not name a key twice).
        with self._table.batch_writer(overwrite_by_pkeys=[CUSTOMER, EVENT_KEY]) as batch:
            for change in changes:
                batch.put_item(Item=_item(change))

    def projections_of(self, customer_id: str) -> list[SagaProjection]:
        projections: dict[str, SagaProjection] = {}
        for item in self._items_of(customer_id):
            saga = projections.setdefault(
                item["sagaId"], SagaProjection(customer_id=customer_id, saga_id=item["sagaId"], kind=item["kind"])
            )
            saga.events.add(item["type"])
            for attribute, name in _CARRIED.items():
                if attribute in item:
                    setattr(saga, name, item[attribute])
        return list(projections.values())

    def delete(self, customer_id: str, saga_ids: Iterable[str] | None = None) -> int:
        """Drop these sagas' projections (all of the customer's when None): how many items went."""
        wanted = None if saga_ids is None else set(saga_ids)
        keys = [
            {CUSTOMER: customer_id, EVENT_KEY: item[EVENT_KEY]}
            for item in self._items_of(customer_id)
            if wanted is None or item["sagaId"] in wanted
        ]
        with self._table.batch_writer() as batch:
            for key in keys:
                batch.delete_item(Key=key)
        return len(keys)

    def _items_of(self, customer_id: str) -> Iterable[dict[str, Any]]:
        query: dict[str, Any] = {"KeyConditionExpression": Key(CUSTOMER).eq(customer_id), "ConsistentRead": True}
        while True:
            response = self._table.query(**query)
            yield from (plain(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _item(change: ProjectionChange) -> dict[str, Any]:
    carried = {attribute: value for attribute, name in _CARRIED.items() if (value := getattr(change, name)) is not None}
    return {
        CUSTOMER: change.customer_id,
        EVENT_KEY: f"{change.saga_id}#{change.event_type}",
        "sagaId": change.saga_id,
        "kind": change.kind,
        "type": change.event_type,
        **carried,
    }
