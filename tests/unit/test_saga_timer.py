"""A choreographed saga's timer on moto (tables from template.yaml, a real SQS queue): a saga idle for the bound is
swept and its timer set again; one that moved is looked at again when it would be idle that long; one that ended
is forgotten. A retried attempt keeps a saga from looking stalled. The timer and the sweeper never both compensate a
saga: whichever writes second is refused and emits nothing."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from checkout_saga.choreography import saga_timer, sweeper
from checkout_saga.clock import iso, utc_now_iso
from checkout_saga.dal.dynamodb_outbox import DynamoDBOutbox
from checkout_saga.dal.dynamodb_saga_log import DynamoDBSagaLog
from checkout_saga.dal.dynamodb_stalled_sagas import DynamoDBStalledSagas, StalledSaga
from checkout_saga.dal.outbox_starter import OutboxSagaStarter
from checkout_saga.handlers.dependencies import aws_client, reset_caches
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


def spy_on_timer_sends(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The timer's SendMessage requests, recorded (and sent)."""
    sends: list[dict[str, Any]] = []
    original = aws_client  # what saga_timer calls: the project's cached client

    class Recording:
        def __init__(self, client: Any) -> None:
            self._client = client

        def send_message(self, **request: Any) -> Any:
            sends.append(request)
            return self._client.send_message(**request)

    monkeypatch.setattr(saga_timer, "aws_client", lambda service: Recording(original(service)))
    return sends


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
    sends = spy_on_timer_sends(monkeypatch)
    cloud.start()
    changed = cloud.last_changed("o-1", seconds_ago=10)  # the bound is 40 s

    before = datetime.now(UTC)
    assert cloud.come_due() == {"batchItemFailures": []}
    after = datetime.now(UTC)

    assert "o-1#SagaStalled#1" not in cloud.events()
    assert stalled_sagas_metric(capsys.readouterr().out) == [0.0]
    assert cloud.timers() == (0, 1)
    [sent] = sends
    assert json.loads(sent["MessageBody"])["detail"]["sagaId"] == "o-1"
    # Due when the saga will have been idle for the bound (about 30 s), in whole seconds rounded up: exactly that
    # for some instant of the call, whatever the machine's speed.
    earliest, latest = (math.ceil(seconds_until_stalled(changed, at, 40)) for at in (after, before))
    assert earliest <= sent["DelaySeconds"] <= latest
    assert 29 <= earliest <= latest <= 30


def test_when_the_sweeper_compensates_between_the_timers_read_and_its_write_the_timer_compensates_nothing(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a saga idle past the bound, which its timer has just read when the sweeper runs
    seen = idle_past_the_bound(cloud)
    sweeps: list[dict[str, Any]] = []

    class SweeperRunsAfterTheRead(DynamoDBStalledSagas):
        def get(self, saga_id: str) -> StalledSaga | None:
            saga = super().get(saga_id)
            sweeps.append(sweeper.handler({}, LambdaContextStub(function_name="SweepStalledSagas")))  # type: ignore[arg-type]
            return saga

    monkeypatch.setattr(
        saga_timer, "stalled_sagas", lambda _settings: SweeperRunsAfterTheRead(cloud.table, cloud.outbox)
    )

    # When the timer comes due
    assert cloud.come_due() == {"batchItemFailures": []}

    # Then the sweeper compensated the saga, once, and the timer's sweep was refused: no second undo
    assert sweeps == [{"swept": ["o-1"]}]
    assert_compensated_once(cloud, seen)
    assert stalled_sagas_metric(capsys.readouterr().out) == [1.0, 0.0]  # the sweeper's, then the timer's
    assert cloud.timers() == (0, 1)  # the timer is set again, should the undo stall too


def test_when_the_timer_compensates_between_the_sweepers_read_and_its_write_the_sweeper_compensates_nothing(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a saga idle past the bound, which the sweeper has just listed when its timer comes due
    seen = idle_past_the_bound(cloud)
    timers: list[dict[str, Any]] = []

    class TimerComesDueAfterTheRead(DynamoDBStalledSagas):
        def idle_since(self, cutoff: str) -> list[StalledSaga]:
            found = super().idle_since(cutoff)
            timers.append(cloud.come_due())
            return found

    monkeypatch.setattr(
        sweeper, "stalled_sagas", lambda _settings: TimerComesDueAfterTheRead(cloud.table, cloud.outbox)
    )

    # When the sweeper runs
    answer = sweeper.handler({}, LambdaContextStub(function_name="SweepStalledSagas"))  # type: ignore[arg-type]

    # Then the timer compensated the saga, once, and the sweeper's sweep was refused: no second undo
    assert timers == [{"batchItemFailures": []}]
    assert answer == {"swept": []}
    assert_compensated_once(cloud, seen)
    assert stalled_sagas_metric(capsys.readouterr().out) == [1.0, 0.0]  # the timer's, then the sweeper's
    assert cloud.timers() == (0, 1)


def idle_past_the_bound(cloud: Cloud) -> str:
    """Saga o-1, choreographed, its order created, unchanged for 41 s (the bound is 40): when it last changed."""
    cloud.start()
    cloud.saga_log.record("o-1", SagaState.ORDER_CREATED, utc_now_iso())
    return cloud.last_changed("o-1", seconds_ago=41)


def assert_compensated_once(cloud: Cloud, seen: str) -> None:
    """One SagaStalled event (the undo's start), of round 1, and one sweep noted on the saga."""
    assert sorted(cloud.events()) == ["o-1#CheckoutRequested#0", "o-1#SagaStalled#1"]
    stalled = cloud.events()["o-1#SagaStalled#1"]
    assert (stalled["context"]["failedStep"], stalled["context"]["failure"]["Error"]) == ("ReserveStock", "SagaStalled")
    item = cloud.table.get_item(Key={"sagaId": "o-1"})["Item"]
    assert item["sweeps"] == 1
    assert item["updatedAt"] > seen


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
