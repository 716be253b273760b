"""Retention: every saga log write sets the item's TTL (`expiresAt`) SagaRetentionDays after it, every outbox
event OutboxRetentionHours after its write; the template turns TTL on for those tables and passes both
parameters to every function. On moto's DynamoDB with the template's tables."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from checkout_saga.dal.dynamodb_outbox import DynamoDBOutbox, OutboxSagaLog
from checkout_saga.dal.dynamodb_saga_log import DynamoDBLogAppend, DynamoDBSagaLog
from checkout_saga.models import SagaFailure, SagaState, StepName
from checkout_saga.saga_events import SagaEvent
from deployer.template import load_template
from tests.support.template_tables import TEMPLATE, create_tables, table_properties

NOW = "2026-11-26T10:00:00.000Z"
DAY = 86400


@pytest.fixture
def tables() -> Iterator[dict[str, Any]]:
    with mock_aws():
        names = create_tables(boto3.client("dynamodb", region_name="us-east-1"))
        dynamodb = boto3.resource("dynamodb", region_name="us-east-1")
        yield {name: dynamodb.Table(table) for name, table in names.items()}


def expires(table: Any, key: dict[str, str]) -> int | None:
    item = table.get_item(Key=key, ConsistentRead=True)["Item"]
    return int(item["expiresAt"]) if "expiresAt" in item else None


def test_each_saga_log_write_sets_its_ttl_that_many_days_ahead(tables: dict[str, Any]) -> None:
    table = tables["SagaLogTable"]
    log = DynamoDBSagaLog(table, retention_days=30)
    before = int(time.time())

    log.record("o-1", SagaState.ORDER_CREATED, NOW)
    log.record_failure("o-2", SagaFailure(step="CreateOrder", error="UnknownSku", cause="no such sku"), NOW)
    pending = log.pending("o-3", SagaState.ORDER_CREATED, NOW)
    assert isinstance(pending, DynamoDBLogAppend)
    table.meta.client.transact_write_items(TransactItems=pending.transact_items())

    for saga_id in ("o-1", "o-2", "o-3"):
        assert before + 30 * DAY <= (expires(table, {"sagaId": saga_id}) or 0) <= int(time.time()) + 30 * DAY


def test_a_choreographed_transition_sets_the_ttl_too(tables: dict[str, Any]) -> None:
    saga_log = DynamoDBSagaLog(tables["SagaLogTable"], retention_days=30)
    context = {"orderId": "o-1", "items": [{"sku": "KB-001", "quantity": 1, "unitPriceCents": 100}]}
    log = OutboxSagaLog(saga_log, DynamoDBOutbox(tables["OutboxTable"]), 0, context, StepName.RESERVE_STOCK)

    assert log.record("o-1", SagaState.STOCK_RESERVED, NOW) is True

    assert (expires(tables["SagaLogTable"], {"sagaId": "o-1"}) or 0) >= time.time() + 30 * DAY - 60


def test_without_a_retention_a_saga_log_is_kept(tables: dict[str, Any]) -> None:
    DynamoDBSagaLog(tables["SagaLogTable"]).record("o-1", SagaState.ORDER_CREATED, NOW)

    assert expires(tables["SagaLogTable"], {"sagaId": "o-1"}) is None


def test_an_outbox_event_expires_its_retention_after_its_write(tables: dict[str, Any]) -> None:
    outbox = DynamoDBOutbox(tables["OutboxTable"], keep_seconds=2 * 3600)
    before = int(time.time())

    outbox.emit(SagaEvent(saga_id="o-1", name="OrderCreated", context={}), NOW)

    assert (
        before + 7200 <= (expires(tables["OutboxTable"], {"eventId": "o-1#OrderCreated#0"}) or 0) <= time.time() + 7200
    )


def test_the_template_turns_ttl_on_and_gives_every_function_both_retentions() -> None:
    template = load_template(TEMPLATE)
    for table in ("SagaLogTable", "ReturnSagaLogTable", "OutboxTable"):
        assert table_properties()[table]["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["SAGA_RETENTION_DAYS"] == {"Ref": "SagaRetentionDays"}
    assert variables["OUTBOX_RETENTION_HOURS"] == {"Ref": "OutboxRetentionHours"}
