"""The choreography's transactional outbox. An event is an item of the outbox table (key `eventId`), written in
the same DynamoDB transaction as the saga-log transition it announces; the table's stream hands each new item
to the publisher (choreography/publisher.py), which puts it on the event bus. So a transition is never
recorded without its event, nor an event sent for a transition that was not recorded. Items expire a day
later (TTL `expiresAt`): by then the stream has delivered them."""

import json
import time
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from checkout_saga.choreography.events import (
    EXCLUSIVE_STEPS,
    FORWARD_TRANSITIONS,
    TRANSITION_EVENTS,
    SagaEvent,
    event_id,
    failed,
)
from checkout_saga.dal.dynamodb_saga_log import DynamoDBSagaLog
from checkout_saga.dal.interfaces import LogAppend, PageKey
from checkout_saga.errors import SagaError
from checkout_saga.models import OrderStatus, SagaFailure, SagaRecord, SagaState, SagaStatus, StepName

KEEP_SECONDS = 24 * 3600


class StepFailedMeanwhile(SagaError):
    """Another delivery of this step emitted its failure first: the undo it started will read and undo this
    delivery's effect; this one records nothing and emits nothing."""


class DynamoDBOutbox:
    def __init__(self, table: Any) -> None:
        self._table = table

    @property
    def client(self) -> Any:
        return self._table.meta.client

    @property
    def table_name(self) -> str:
        return str(self._table.name)

    def put_request(self, event: SagaEvent, at: str) -> dict[str, Any]:
        """The Put of `event`, as one item of a transaction."""
        return {
            "TableName": self._table.name,
            "Item": {
                "eventId": event.event_id,
                "sagaId": event.saga_id,
                "name": event.name,
                "detail": json.dumps(event.to_payload(), separators=(",", ":")),
                "createdAt": at,
                "expiresAt": int(time.time()) + KEEP_SECONDS,
            },
        }

    def emit(self, event: SagaEvent, at: str) -> bool:
        """Write `event` unless it was written already; True if this call wrote it."""
        try:
            self._table.put_item(
                **self.put_request(event, at) | {"ConditionExpression": "attribute_not_exists(eventId)"}
            )
            return True
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return False

    def emit_failure(self, event: SagaEvent, saga_log_table: str, step: StepName, at: str) -> bool:
        """Write a forward step's failure event unless the step's transition is recorded already (a delivery of
        the step that succeeded: the saga has moved on) or the event is written already; True if written."""
        state = FORWARD_TRANSITIONS[step].value
        try:
            self.client.transact_write_items(
                TransactItems=[
                    {"Put": self.put_request(event, at) | {"ConditionExpression": "attribute_not_exists(eventId)"}},
                    {
                        "ConditionCheck": {
                            "TableName": saga_log_table,
                            "Key": {"sagaId": event.saga_id},
                            "ConditionExpression": "attribute_not_exists(reached) OR NOT contains(reached, :state)",
                            "ExpressionAttributeValues": {":state": state},
                        }
                    },
                ]
            )
            return True
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            return False


class OutboxSagaLog:
    """The saga log as the choreographed steps see it: recording a transition also emits the event that
    announces it, in one transaction. A transition recorded already (the step delivered again) emits its
    event only if it is missing: in the round of a sweep, whose events are new."""

    def __init__(
        self,
        saga_log: DynamoDBSagaLog,
        outbox: DynamoDBOutbox,
        round_: int,
        context: Mapping[str, Any],
        step: StepName | None = None,
    ) -> None:
        """`step`: the forward step recording through this log, whose transition and failure exclude each other."""
        self._saga_log = saga_log
        self._step = step
        self._outbox = outbox
        self._round = round_
        self._context = dict(context)
        self.announced: list[str] = []  # the events of the transitions recorded through this log (now or before)

    def get(self, saga_id: str) -> SagaRecord | None:
        return self._saga_log.get(saga_id)

    def record_failure(self, saga_id: str, failure: SagaFailure, at: str, compensation: bool = False) -> bool:
        return self._saga_log.record_failure(saga_id, failure, at, compensation)

    def list_by_status(
        self, status: OrderStatus, limit: int, exclusive_start_key: PageKey | None = None
    ) -> tuple[list[SagaRecord], PageKey | None]:
        return self._saga_log.list_by_status(status, limit, exclusive_start_key)

    def pending(
        self,
        saga_id: str,
        state: SagaState,
        at: str,
        status: SagaStatus | None = None,
        customer_id: str | None = None,
        opens_with: SagaState | None = None,
    ) -> LogAppend:
        """Not written with the step's effect: `record` writes it afterwards, with the event that announces it."""
        return LogAppend(saga_id, state, at, status, customer_id, opens_with)

    def record(
        self,
        saga_id: str,
        state: SagaState,
        at: str,
        status: SagaStatus | None = None,
        customer_id: str | None = None,
    ) -> bool:
        name = TRANSITION_EVENTS.get(state)
        if name is None:  # STARTED: the API's CheckoutRequested announced it
            return self._saga_log.record(saga_id, state, at, status, customer_id)
        event = SagaEvent(saga_id=saga_id, name=name, round=self._round, context=self._context)
        update = self._saga_log.record_update(saga_id, state, at, status, customer_id)
        items: list[dict[str, Any]] = [
            {"Update": {"TableName": self._saga_log.table_name, **update}},
            {"Put": self._outbox.put_request(event, at)},
        ]
        exclusive = self._step in EXCLUSIVE_STEPS and FORWARD_TRANSITIONS.get(self._step) is state
        if exclusive:
            assert self._step is not None
            failure_id = event_id(saga_id, failed(self._step), self._round)
            items.append({"ConditionCheck": _absent(self._outbox.table_name, failure_id)})
        try:
            self._outbox.client.transact_write_items(TransactItems=items)
            self.announced.append(name)
            return True
        except ClientError as exc:
            if exclusive and _refused_by(exc, 2):
                raise StepFailedMeanwhile(f"{self._step} of saga {saga_id} failed in another delivery") from exc
            if not _refused_by(exc, 0):
                raise
        self._outbox.emit(event, at)
        self.announced.append(name)
        return False


def _absent(table: str, event_id_: str) -> dict[str, Any]:
    return {"TableName": table, "Key": {"eventId": event_id_}, "ConditionExpression": "attribute_not_exists(eventId)"}


def _refused_by(exc: ClientError, item: int) -> bool:
    """The transaction was refused because the condition of its `item`-th write failed (0: the saga log's, the
    state is reached already; 2: the step's failure event exists)."""
    if exc.response["Error"]["Code"] != "TransactionCanceledException":
        return False
    reasons = exc.response.get("CancellationReasons") or []
    return len(reasons) > item and reasons[item].get("Code") == "ConditionalCheckFailed"
