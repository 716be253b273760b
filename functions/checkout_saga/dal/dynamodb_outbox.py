"""The choreography's transactional outbox. An event is an item of the outbox table (key `eventId`), written in
the same DynamoDB transaction as the step's effect and the saga-log transition it announces; the table's stream
hands each new item to the publisher (choreography/publisher.py), which puts it on the event bus. So a step never
takes effect without its event, nor is an event sent for a step that did not. Items expire a day
later (TTL `expiresAt`): by then the stream has delivered them."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from checkout_saga.dal.dynamodb_saga_log import DynamoDBLogAppend, DynamoDBSagaLog
from checkout_saga.dal.dynamodb_transactions import Refusal
from checkout_saga.dal.interfaces import LogAppend, PageKey
from checkout_saga.errors import SagaError
from checkout_saga.models import FlowContext, SagaFailure, SagaRecord, SagaState, SagaStatus
from checkout_saga.saga_events import (
    EXCLUSIVE_STEPS,
    FORWARD_TRANSITIONS,
    TRANSITION_EVENTS,
    SagaEvent,
    event_id,
    failed,
)

if TYPE_CHECKING:  # the stubs are a development dependency; the Lambda runtime does not need them
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

KEEP_SECONDS = 24 * 3600
# Where each write of a transition stands among its transaction's items (from the transition's first): the saga
# log's update, the event's put, then (an exclusive step's) the check that its failure event is not out.
_LOG_UPDATE, _FAILURE_CHECK = 0, 2  # the event's put is between them


class StepFailedMeanwhile(SagaError):
    """Another delivery of this step emitted its failure first: the undo it started will read and undo this
    delivery's effect; this one records nothing and emits nothing."""


class DynamoDBOutbox:
    def __init__(self, table: Any, keep_seconds: int = KEEP_SECONDS) -> None:
        """`keep_seconds`: each event's TTL (`expiresAt`), after its write (template: OutboxRetentionHours)."""
        self._table = table
        self._keep_seconds = keep_seconds

    @property
    def table(self) -> Any:
        return self._table

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
                "expiresAt": int(time.time()) + self._keep_seconds,
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

    def emit_failure(self, event: SagaEvent, saga_log_table: str, step: str, at: str) -> bool:
        """Write a forward step's failure event unless the step's transition is recorded already (a delivery of
        the step that succeeded: the saga has moved on) or the event is written already; True if written."""
        state = str(FORWARD_TRANSITIONS[step])
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
    announces it, in one transaction, carrying the document the step hands on. A transition recorded already
    (the step delivered again) emits its event only if it is missing: in the round of a sweep, whose events are
    new."""

    def __init__(
        self,
        saga_log: DynamoDBSagaLog,
        outbox: DynamoDBOutbox,
        round_: int,
        step_input: Mapping[str, Any],
        step: str | None = None,
    ) -> None:
        """`step_input`: the document the step was given, carried by an event whose step named no output (the
        steps all do). `step`: the forward step recording through this log, whose transition and failure exclude
        each other."""
        self._saga_log = saga_log
        self._step = step
        self._outbox = outbox
        self._round = round_
        self._step_input = dict(step_input)
        self._pending: list[OutboxLogAppend] = []
        self._announced: list[str] = []  # recorded after the effect (or found recorded already)

    def get(self, saga_id: str) -> SagaRecord | None:
        return self._saga_log.get(saga_id)

    def record_failure(
        self, saga_id: str, failure: SagaFailure, at: str, compensation: bool = False, customer_id: str | None = None
    ) -> bool:
        return self._saga_log.record_failure(saga_id, failure, at, compensation, customer_id)

    def list_by_status(
        self, status: SagaStatus, limit: int, exclusive_start_key: PageKey | None = None
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
        *,
        document: FlowContext | None = None,
    ) -> LogAppend:
        """The transition and the event that announces it, to be written in the transaction of the step's own
        effect: the transactional outbox (with, for an exclusive step, the check that its failure is not out)."""
        name = TRANSITION_EVENTS.get(state)
        if name is None:  # STARTED: the API's CheckoutRequested announced it
            return self._saga_log.pending(saga_id, state, at, status, customer_id, opens_with, document=document)
        event = self._event(saga_id, name, document)
        items: list[dict[str, Any]] = [{"Put": self._outbox.put_request(event, at)}]
        if self._exclusive(state):
            items.append({"ConditionCheck": self._failure_absent(saga_id)})
        append = OutboxLogAppend(
            saga_id,
            state,
            at,
            status,
            customer_id,
            opens_with,
            table_name=self._saga_log.table_name,
            expires_at=self._saga_log.expires_at(),
            event_name=name,
            event_items=items,
            step=self._step,
            document=document,
        )
        self._pending.append(append)
        return append

    def record(
        self,
        saga_id: str,
        state: SagaState,
        at: str,
        status: SagaStatus | None = None,
        customer_id: str | None = None,
        *,
        document: FlowContext | None = None,
    ) -> bool:
        name = TRANSITION_EVENTS.get(state)
        if name is None:  # STARTED: the API's CheckoutRequested announced it
            return self._saga_log.record(saga_id, state, at, status, customer_id, document=document)
        event = self._event(saga_id, name, document)
        update = self._saga_log.record_update(saga_id, state, at, status, customer_id)
        items: list[dict[str, Any]] = [
            {"Update": {"TableName": self._saga_log.table_name, **update}},
            {"Put": self._outbox.put_request(event, at)},
        ]
        exclusive = self._exclusive(state)
        if exclusive:
            items.append({"ConditionCheck": self._failure_absent(saga_id)})
        try:
            self._outbox.client.transact_write_items(TransactItems=items)
            self._announced.append(name)
            return True
        except ClientError as exc:
            if exclusive and _refused_by(exc, _FAILURE_CHECK):
                raise StepFailedMeanwhile(f"{self._step} of saga {saga_id} failed in another delivery") from exc
            if not _refused_by(exc, _LOG_UPDATE):
                raise
        self._outbox.emit(event, at)
        self._announced.append(name)
        return False

    @property
    def announced(self) -> list[str]:
        """The events of the transitions recorded through this log (now or before), with the step's effect or
        after it."""
        return [append.event_name for append in self._pending if append.appended] + self._announced

    def _event(self, saga_id: str, name: str, document: FlowContext | None) -> SagaEvent:
        """The event announcing a transition carries the step's output, as a state machine passes a Task's result
        to the next state."""
        context = document.to_payload(exclude_none=True) if document is not None else self._step_input
        return SagaEvent(saga_id=saga_id, name=name, round=self._round, context=context)

    def _exclusive(self, state: SagaState) -> bool:
        return self._step in EXCLUSIVE_STEPS and FORWARD_TRANSITIONS[self._step] == state

    def _failure_absent(self, saga_id: str) -> dict[str, Any]:
        assert self._step is not None
        return _absent(self._outbox.table_name, event_id(saga_id, failed(self._step), self._round))


@dataclass
class OutboxLogAppend(DynamoDBLogAppend):
    """A transition with the event that announces it (and the exclusive step's check that its failure is not
    out), all in the transaction of the step's effect."""

    event_name: str = ""
    event_items: list[dict[str, Any]] = field(default_factory=list)
    step: str | None = None

    def transact_items(self) -> list[TransactWriteItemTypeDef]:
        return [*super().transact_items(), *cast("list[TransactWriteItemTypeDef]", self.event_items)]

    def settle(self, refusal: Refusal | None, first: int) -> None:
        """The failure check refused: another delivery of this step failed first, and the undo it started owns
        the saga; this delivery's effect was not written, and must not be."""
        super().settle(refusal, first)
        if refusal is not None and len(self.event_items) > 1 and refusal.refused(first + _FAILURE_CHECK):
            raise StepFailedMeanwhile(f"{self.step} of saga {self.saga_id} failed in another delivery")


def _absent(table: str, event_id_: str) -> dict[str, Any]:
    return {"TableName": table, "Key": {"eventId": event_id_}, "ConditionExpression": "attribute_not_exists(eventId)"}


def _refused_by(exc: ClientError, item: int) -> bool:
    """The transaction was refused because the condition of its `item`-th write failed (`_LOG_UPDATE`: the state
    is reached already; `_FAILURE_CHECK`: the step's failure event exists)."""
    if exc.response["Error"]["Code"] != "TransactionCanceledException":
        return False
    reasons = exc.response.get("CancellationReasons") or []
    return len(reasons) > item and reasons[item].get("Code") == "ConditionalCheckFailed"
