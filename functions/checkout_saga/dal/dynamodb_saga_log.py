"""Saga log table: one item per saga with its current state, coarse status (indexed by `byStatus`),
every transition with its time, and the failures. Appending a transition is conditional on the state not
being in the `reached` set yet, so a step delivered twice records itself once; an undo's transition on the way
also on the saga not having ended (docs/adr/0009-a-saga-that-ended-records-nothing-more.md). A step's own
transition goes into the TransactWriteItems of its effect (DynamoDBLogAppend), so a step writes once."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from checkout_saga.dal.aws_errors import CONDITION_FAILED, error_code
from checkout_saga.dal.dynamodb_transactions import Refusal
from checkout_saga.dal.dynamodb_values import plain
from checkout_saga.dal.interfaces import LogAppend, PageKey
from checkout_saga.models import FlowContext, OrderStatus, SagaFailure, SagaRecord, SagaState, SagaStatus
from checkout_saga.saga_definition import ends_barring

if TYPE_CHECKING:  # the stubs are a development dependency; the Lambda runtime does not need them
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

BY_STATUS_INDEX = "byStatus"  # template.yaml: status HASH, startedAt RANGE


class DynamoDBSagaLog:
    def __init__(self, table: Table, retention_days: int | None = None) -> None:
        """`retention_days`: each write sets the item's TTL (`expiresAt`) that many days ahead, so a saga is kept
        that long after its last change (template: SagaRetentionDays); None: kept for ever."""
        self._table = table
        self._retention_seconds = retention_days * 86400 if retention_days else None

    def expires_at(self) -> int | None:
        """The TTL a write now gives the saga's item (None: kept for ever)."""
        return int(time.time()) + self._retention_seconds if self._retention_seconds else None

    def list_by_status(
        self, status: SagaStatus, limit: int, exclusive_start_key: PageKey | None = None
    ) -> tuple[list[SagaRecord], PageKey | None]:
        query: dict[str, Any] = {
            "IndexName": BY_STATUS_INDEX,
            "KeyConditionExpression": Key("status").eq(status.value),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if exclusive_start_key:
            query["ExclusiveStartKey"] = exclusive_start_key
        response = self._table.query(**query)
        records = [SagaRecord.model_validate(plain(item)) for item in response.get("Items", [])]
        return records, response.get("LastEvaluatedKey")

    def get(self, saga_id: str) -> SagaRecord | None:
        item = self._table.get_item(Key={"sagaId": saga_id}, ConsistentRead=True).get("Item")
        return SagaRecord.model_validate(plain(item)) if item else None

    def record(
        self,
        saga_id: str,
        state: SagaState,
        at: str,
        status: SagaStatus | None = None,
        customer_id: str | None = None,
        *,
        document: FlowContext | None = None,  # announced by no event here
    ) -> bool:
        try:
            self._table.update_item(**self.record_update(saga_id, state, at, status, customer_id))
            return True
        except ClientError as exc:
            if error_code(exc) != CONDITION_FAILED:
                raise
            return False

    def record_update(
        self,
        saga_id: str,
        state: SagaState,
        at: str,
        status: SagaStatus | None = None,
        customer_id: str | None = None,
    ) -> dict[str, Any]:
        """The conditional UpdateItem that records a transition, as one item of a transaction (the
        choreography's outbox writes a transition and its event together: dal/dynamodb_outbox.py)."""
        return _append(LogAppend(saga_id, state, at, status, customer_id), self.expires_at())

    @property
    def table_name(self) -> str:
        return str(self._table.name)

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
        return DynamoDBLogAppend(
            saga_id,
            state,
            at,
            status,
            customer_id,
            opens_with,
            document=document,
            table_name=self._table.name,
            expires_at=self.expires_at(),
        )

    def record_failure(
        self, saga_id: str, failure: SagaFailure, at: str, compensation: bool = False, customer_id: str | None = None
    ) -> bool:
        attribute = "compensationFailure" if compensation else "failure"
        # A saga can fail before it logged anything (e.g. CreateOrder on an unknown sku): start its record too.
        # The failure's time goes in the same write: the saga's event history places it (logic/saga_history.py).
        # So does its customer: the history publisher reads the customer from this item (or from the order, which
        # may not be stored yet), and an event naming no customer never reaches the read model.
        assignments = [
            "#failure = :failure",
            f"{attribute}At = :at",
            "updatedAt = :at",
            "startedAt = if_not_exists(startedAt, :at)",
            "#state = if_not_exists(#state, :started)",
            "#status = if_not_exists(#status, :pending)",
            "history = if_not_exists(history, :empty)",
        ]
        values: dict[str, Any] = {
            ":failure": failure.to_payload(),
            ":at": at,
            ":started": SagaState.STARTED.value,
            ":pending": OrderStatus.PENDING.value,
            ":empty": [],
        }
        if customer_id is not None:
            assignments.append("customerId = if_not_exists(customerId, :customer)")
            values[":customer"] = customer_id
        expires_at = self.expires_at()
        if expires_at is not None:
            assignments.append("expiresAt = :expires")
            values[":expires"] = expires_at
        try:
            self._table.update_item(
                Key={"sagaId": saga_id},
                UpdateExpression=f"SET {', '.join(assignments)}",
                ConditionExpression="attribute_not_exists(#failure)",
                ExpressionAttributeNames={"#failure": attribute, "#state": "state", "#status": "status"},
                ExpressionAttributeValues=values,
            )
            return True
        except ClientError as exc:
            if error_code(exc) != CONDITION_FAILED:
                raise
            return False


@dataclass
class DynamoDBLogAppend(LogAppend):
    """A LogAppend as items of the TransactWriteItems that writes the step's effect: the saga log's update
    first, then whatever else must be written with the transition (the choreography's event)."""

    table_name: str = ""
    expires_at: int | None = None  # the item's TTL, refreshed with each transition

    def transact_items(self) -> list[TransactWriteItemTypeDef]:
        update = {"TableName": self.table_name, **_append(self, self.expires_at)}
        return [cast("TransactWriteItemTypeDef", {"Update": update})]

    def settle(self, refusal: Refusal | None, first: int) -> None:
        """Note how the transaction that carried these items (from index `first`) ended. A refusal of the saga
        log's condition means only that the transition is recorded already (the effect may still be due); a
        subclass raises where a refusal of its own items means that the step must not take effect at all."""
        self.appended = refusal is None


def require_dynamodb(log: LogAppend | None) -> DynamoDBLogAppend | None:
    """The append a DynamoDB repository writes with the effect: only a DynamoDB saga log's (same client, same
    account; the choreography's carries its event too). Any other LogAppend is not carried: it stays
    `appended=False`, and the logic records the transition after the effect."""
    return log if isinstance(log, DynamoDBLogAppend) else None


def _append(log: LogAppend, expires_at: int | None = None) -> dict[str, Any]:
    """UpdateItem parameters appending `log.state` unless the saga reached it already (and setting the item's
    TTL, `expiresAt`, when given)."""
    opening = [{"state": log.opens_with.value, "at": log.at}] if log.opens_with else []
    assignments = [
        "#state = :state",
        "updatedAt = :at",
        "startedAt = if_not_exists(startedAt, :at)",
        "history = list_append(if_not_exists(history, :opening), :entry)",
        "#status = :status" if log.status else "#status = if_not_exists(#status, :status)",
    ]
    values: dict[str, Any] = {
        ":state": log.state.value,
        ":at": log.at,
        ":opening": opening,
        ":entry": [{"state": log.state.value, "at": log.at}],
        ":status": (log.status or OrderStatus.PENDING).value,
        ":reached": {log.state.value} | ({log.opens_with.value} if log.opens_with else set()),
    }
    if log.customer_id is not None:
        assignments.append("customerId = if_not_exists(customerId, :customer)")
        values[":customer"] = log.customer_id
    if expires_at is not None:
        assignments.append("expiresAt = :expires")
        values[":expires"] = expires_at
    # STARTED (the API's, after its StartExecution) opens a log that holds nothing yet: a saga fast enough to
    # have logged its first steps, or its end, before it (or a keyed retry finding that saga done) is not set
    # back to STARTED.
    condition = "attribute_not_exists(reached)"
    if log.state != SagaState.STARTED:
        # An undo's transition on the way is not appended to a saga that has ended (docs/adr/0009).
        barred = {":stateName": log.state.value, **{f":end{i}": end for i, end in enumerate(ends_barring(log.state))}}
        values.update(barred)
        condition += " OR (" + " AND ".join(f"NOT contains(reached, {name})" for name in barred) + ")"
    return {
        "Key": {"sagaId": log.saga_id},
        "UpdateExpression": f"SET {', '.join(assignments)} ADD reached :reached",
        "ConditionExpression": condition,
        "ExpressionAttributeNames": {"#state": "state", "#status": "status"},
        "ExpressionAttributeValues": values,
    }
