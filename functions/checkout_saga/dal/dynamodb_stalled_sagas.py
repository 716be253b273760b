"""The saga log as the timers and the sweeper see it: choreographed sagas still PENDING, one by id (a timer) or
those whose record has not changed for a while (the sweeper reads the byStatus index: only PENDING sagas); a
retried attempt noted (`updatedAt` now: the saga is not standing still); and the sweep itself, which in one
transaction notes the sweep on the saga (a new round, `updatedAt` now) and emits its SagaStalled event."""

from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from checkout_saga.dal.aws_errors import CONDITION_FAILED, error_code
from checkout_saga.dal.dynamodb_outbox import DynamoDBOutbox
from checkout_saga.dal.dynamodb_saga_log import BY_STATUS_INDEX
from checkout_saga.dal.dynamodb_values import plain
from checkout_saga.models import Coordination, OrderStatus, SagaState
from checkout_saga.saga_events import SAGA_STALLED, SagaEvent


@dataclass(frozen=True)
class StalledSaga:
    saga_id: str
    state: SagaState
    updated_at: str
    sweeps: int
    document: dict[str, Any]  # what the API started the saga with


class DynamoDBStalledSagas:
    def __init__(self, saga_log_table: Any, outbox: DynamoDBOutbox) -> None:
        self._table = saga_log_table
        self._outbox = outbox

    def get(self, saga_id: str) -> StalledSaga | None:
        """The saga, if it is choreographed and still PENDING (else it has nothing left to watch)."""
        item = self._table.get_item(Key={"sagaId": saga_id}, ConsistentRead=True).get("Item")
        if item is None:
            return None
        item = plain(item)
        watched = item.get("coordination") == Coordination.CHOREOGRAPHY.value
        return _stalled_saga(item) if watched and item.get("status") == OrderStatus.PENDING.value else None

    def note_attempt(self, saga_id: str, now: str) -> None:
        """A step of the saga failed and will be tried again: the saga is not standing still."""
        try:
            self._table.update_item(
                Key={"sagaId": saga_id},
                UpdateExpression="SET updatedAt = :now",
                ConditionExpression="#status = :pending AND coordination = :choreography AND updatedAt < :now",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":now": now,
                    ":pending": OrderStatus.PENDING.value,
                    ":choreography": Coordination.CHOREOGRAPHY.value,
                },
            )
        except ClientError as exc:
            if error_code(exc) != CONDITION_FAILED:
                raise  # else: the saga ended meanwhile (or moved later still), nothing to note

    def idle_since(self, cutoff: str) -> list[StalledSaga]:
        """Choreographed PENDING sagas last changed before `cutoff`, oldest first."""
        query: dict[str, Any] = {
            "IndexName": BY_STATUS_INDEX,
            "KeyConditionExpression": Key("status").eq(OrderStatus.PENDING.value),
            "FilterExpression": Attr("coordination").eq(Coordination.CHOREOGRAPHY.value) & Attr("updatedAt").lt(cutoff),
        }
        found: list[StalledSaga] = []
        while True:
            response = self._table.query(**query)
            found.extend(map(_stalled_saga, map(plain, response.get("Items", []))))
            if not response.get("LastEvaluatedKey"):
                return sorted(found, key=lambda saga: saga.updated_at)
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def sweep(self, saga: StalledSaga, failure: dict[str, object], now: str) -> bool:
        """Start the saga's undo in a new round, unless it moved (or was swept) since it was read; True if so."""
        event = SagaEvent(
            saga_id=saga.saga_id, name=SAGA_STALLED, round=saga.sweeps + 1, context={**saga.document, **failure}
        )
        try:
            self._outbox.client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._table.name,
                            "Key": {"sagaId": saga.saga_id},
                            "UpdateExpression": "SET updatedAt = :now ADD sweeps :one",
                            "ConditionExpression": "updatedAt = :seen AND #status = :pending",
                            "ExpressionAttributeNames": {"#status": "status"},
                            "ExpressionAttributeValues": {
                                ":now": now,
                                ":one": 1,
                                ":seen": saga.updated_at,
                                ":pending": OrderStatus.PENDING.value,
                            },
                        }
                    },
                    {"Put": self._outbox.put_request(event, now)},
                ]
            )
            return True
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            return False


def _stalled_saga(item: dict[str, Any]) -> StalledSaga:
    return StalledSaga(
        saga_id=item["sagaId"],
        state=SagaState(item["state"]),
        updated_at=item["updatedAt"],
        sweeps=int(item.get("sweeps", 0)),
        document=dict(item.get("checkout") or {"orderId": item["sagaId"]}),
    )
