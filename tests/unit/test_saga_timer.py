"""A choreographed saga's timer on moto (tables from template.yaml, a real SQS queue): a saga idle for the bound is
swept and its timer set again; one that moved is looked at again when it would be idle that long; one that ended
is forgotten. A retried attempt keeps a saga from looking stalled."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from checkout_saga.choreography import saga_timer
from checkout_saga.clock import iso, utc_now_iso
from checkout_saga.dal.dynamodb_outbox import DynamoDBOutbox
from checkout_saga.dal.dynamodb_saga_log import DynamoDBSagaLog
from checkout_saga.dal.dynamodb_stalled_sagas import DynamoDBStalledSagas
from checkout_saga.dal.outbox_starter import OutboxSagaStarter
from checkout_saga.handlers.dependencies import reset_caches
from checkout_saga.logic.stalled_sagas import seconds_until_stalled
from checkout_saga.models import OrderStatus, SagaState
from tests.support.events import LambdaContextStub
from tests.support.template_tables import create_tables

CHECKOUT = {"orderId": "o-1", "customerId": "c-1", "items": [{"sku": "KB-001", "quantity": 1}]}
ENVIRONMENT_TABLES = {
    "ORDERS_TABLE": "OrdersTable",
    "INVENTORY_TABLE": "InventoryTable",
    "PAYMENTS_TABLE": "PaymentsTable",
    "SAGA_LOG_TABLE": "SagaLogTable",
    "RETURNS_TABLE": "ReturnsTable",
    "RETURN_SAGA_LOG_TABLE": "ReturnSagaLogTable",
    "OUTBOX_TABLE": "OutboxTable",
}


@dataclass
class Cloud:
    table: Any  # the saga log's
    saga_log: DynamoDBSagaLog
    outbox: DynamoDBOutbox
    sqs: Any
    queue_url: str

    def start(self, saga_id: str = "o-1") -> None:
        OutboxSagaStarter(self.saga_log.table_name, self.outbox).start(saga_id, {**CHECKOUT, "orderId": saga_id})

    def last_changed(self, saga_id: str, seconds_ago: float) -> str:
        at = iso(datetime.now(UTC) - timedelta(seconds=seconds_ago))
        at = at.replace("+00:00", "Z")
        self.table.update_item(
            Key={"sagaId": saga_id}, UpdateExpression="SET updatedAt = :at", ExpressionAttributeValues={":at": at}
        )
        return at

    def come_due(self, saga_id: str = "o-1") -> dict[str, Any]:
        body = json.dumps({"detail-type": "CheckoutRequested", "detail": {"sagaId": saga_id, "name": "x"}})
        record = {
            "messageId": "m-1",
            "receiptHandle": "r-1",
            "body": body,
            "attributes": {"ApproximateReceiveCount": "1"},
            "messageAttributes": {},
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:timers",
        }
        answer = saga_timer.handler({"Records": [record]}, LambdaContextStub(function_name="StalledSagaTimer"))  # type: ignore[arg-type]
        return dict(answer)

    def events(self) -> dict[str, dict[str, Any]]:
        items = self.outbox.client.scan(TableName=self.outbox.table_name)["Items"]
        return {str(item["eventId"]): json.loads(str(item["detail"])) for item in items}

    def timers(self) -> tuple[int, int]:
        """(due now, delayed) messages on the timer queue."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesDelayed"])


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "CheckoutSaga")
    with mock_aws():
        reset_caches()
        names = create_tables(boto3.client("dynamodb", region_name="us-east-1"))
        for variable, logical_id in ENVIRONMENT_TABLES.items():
            monkeypatch.setenv(variable, names[logical_id])
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue_url = sqs.create_queue(QueueName="timers")["QueueUrl"]
        monkeypatch.setenv("TIMER_QUEUE_URL", queue_url)
        monkeypatch.setenv("STALLED_AFTER_SECONDS", "40")
        dynamodb = boto3.resource("dynamodb", region_name="us-east-1")
        yield Cloud(
            dynamodb.Table(names["SagaLogTable"]),
            DynamoDBSagaLog(dynamodb.Table(names["SagaLogTable"])),
            DynamoDBOutbox(dynamodb.Table(names["OutboxTable"])),
            sqs,
            queue_url,
        )
    reset_caches()


def stalled_sagas_metric(output: str) -> list[float]:
    """The StalledSagas values of the EMF documents the handler printed."""
    documents = [json.loads(line) for line in output.splitlines() if line.startswith("{") and '"_aws"' in line]
    values = [document["StalledSagas"] for document in documents if "StalledSagas" in document]
    return [float(value) for entry in values for value in (entry if isinstance(entry, list) else [entry])]


def test_a_saga_idle_for_the_bound_is_swept_and_its_timer_set_again(
    cloud: Cloud, capsys: pytest.CaptureFixture[str]
) -> None:
    cloud.start()
    cloud.saga_log.record("o-1", SagaState.ORDER_CREATED, utc_now_iso())
    seen = cloud.last_changed("o-1", seconds_ago=41)

    assert cloud.come_due() == {"batchItemFailures": []}

    stalled = cloud.events()["o-1#SagaStalled#1"]
    assert stalled["name"] == "SagaStalled"
    assert stalled["context"]["failedStep"] == "ReserveStock"  # the step that never came
    assert stalled["context"]["failure"]["Error"] == "SagaStalled"
    assert stalled["context"]["customerId"] == "c-1"  # the saga's document, which the undo needs
    item = cloud.table.get_item(Key={"sagaId": "o-1"})["Item"]
    assert item["sweeps"] == 1
    assert item["updatedAt"] > seen
    assert cloud.timers() == (0, 1)  # due again in 40 s: the undo it started ends the saga first
    assert stalled_sagas_metric(capsys.readouterr().out) == [1.0]


def test_a_saga_that_moved_is_looked_at_again_when_it_would_be_idle_for_the_bound(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STALLED_AFTER_SECONDS", "2")
    cloud.start()
    cloud.last_changed("o-1", seconds_ago=0.5)
    sent = time.monotonic()

    assert cloud.come_due() == {"batchItemFailures": []}

    assert "o-1#SagaStalled#1" not in cloud.events()
    assert stalled_sagas_metric(capsys.readouterr().out) == [0.0]
    assert cloud.timers() == (0, 1)
    message = cloud.sqs.receive_message(QueueUrl=cloud.queue_url, WaitTimeSeconds=5)["Messages"][0]
    assert 1.0 <= time.monotonic() - sent < 3.5  # due 2 s after the change (whole seconds, rounded up)
    assert json.loads(message["Body"])["detail"]["sagaId"] == "o-1"


@pytest.mark.parametrize("ended", [OrderStatus.CONFIRMED, OrderStatus.CANCELLED, OrderStatus.COMPENSATION_FAILED])
def test_the_timer_of_a_saga_that_ended_is_dropped(cloud: Cloud, ended: OrderStatus) -> None:
    cloud.start()
    cloud.saga_log.record("o-1", SagaState(ended.value), utc_now_iso(), status=ended)
    cloud.last_changed("o-1", seconds_ago=100)

    assert cloud.come_due() == {"batchItemFailures": []}

    assert set(cloud.events()) == {"o-1#CheckoutRequested#0"}
    assert cloud.timers() == (0, 0)


def test_the_timer_of_an_orchestrated_or_unknown_saga_is_dropped(cloud: Cloud) -> None:
    cloud.saga_log.record("o-2", SagaState.STARTED, "2026-01-01T00:00:00.000Z")  # no coordination: a state machine's

    assert cloud.come_due("o-2") == {"batchItemFailures": []}
    assert cloud.come_due("o-3") == {"batchItemFailures": []}

    assert cloud.events() == {}
    assert cloud.timers() == (0, 0)


def test_a_retried_attempt_keeps_a_pending_saga_from_looking_stalled(cloud: Cloud) -> None:
    cloud.start()
    cloud.start("o-2")
    cloud.saga_log.record("o-2", SagaState.CANCELLED, utc_now_iso(), status=OrderStatus.CANCELLED)
    old = cloud.last_changed("o-1", seconds_ago=30)
    ended = cloud.last_changed("o-2", seconds_ago=30)
    sagas = DynamoDBStalledSagas(cloud.table, cloud.outbox)

    now = utc_now_iso()
    sagas.note_attempt("o-1", now)
    sagas.note_attempt("o-2", now)
    sagas.note_attempt("o-3", now)  # no such saga: nothing is written

    pending = sagas.get("o-1")
    assert pending is not None
    assert pending.updated_at == now > old
    assert sagas.get("o-2") is None  # ended: nothing to watch
    assert cloud.table.get_item(Key={"sagaId": "o-2"})["Item"]["updatedAt"] == ended
    assert "Item" not in cloud.table.get_item(Key={"sagaId": "o-3"})


def test_seconds_until_stalled_counts_from_the_last_change() -> None:
    now = datetime(2026, 11, 26, 10, 0, 30, tzinfo=UTC)
    assert seconds_until_stalled("2026-11-26T10:00:00.000Z", now, 40) == 10
    assert seconds_until_stalled("2026-11-26T10:00:00.000Z", now, 30) == 0
    assert seconds_until_stalled("2026-11-26T09:00:00.000Z", now, 40) == 0
