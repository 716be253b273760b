"""The customers' read model on moto's DynamoDB: its projections are the same whatever the order of the events
and however often each one is delivered, so the summary is too; the projector writes a batch one saga at a time."""

import json
import random
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from checkout_saga.dal.dynamodb_read_model import DynamoDBReadModel
from checkout_saga.handlers.project_customer_summaries import project_batch
from checkout_saga.logic.customer_summary import CustomerSummary, change_of, summarize
from checkout_saga.logic.saga_history import HistoryEvent, PublishedEvent
from checkout_saga.models import ProjectionChange
from tests.support.template_tables import create_tables


def event(saga_id: str, kind: str, type_: str, at: str, amount: int, customer: str = "c-1") -> PublishedEvent:
    detail = {"orderId": saga_id, "customerId": customer, "amountCents": amount}
    return PublishedEvent(
        saga_id=saga_id, kind=kind, event=HistoryEvent(seq=1, type=type_, at=at, source="Orders", detail=detail)
    )


EVENTS = [
    event("o-1", "checkout", "OrderCreated", "2026-12-06T00:00:01.000Z", 5000),
    event("o-1", "checkout", "StockReserved", "2026-12-06T00:00:02.000Z", 5000),
    event("o-1", "checkout", "PaymentCharged", "2026-12-06T00:00:03.000Z", 5000),
    event("o-1", "checkout", "OrderConfirmed", "2026-12-06T00:00:04.000Z", 5000),
    event("o-2", "checkout", "OrderCreated", "2026-12-06T00:01:01.000Z", 700),
    event("o-2", "checkout", "ChargePaymentFailed", "2026-12-06T00:01:02.000Z", 700),
    event("o-2", "checkout", "OrderCancelled", "2026-12-06T00:01:03.000Z", 700),
    event("ret-1", "return", "ReturnValidated", "2026-12-06T00:02:01.000Z", 1200),
    event("ret-1", "return", "ReturnCompleted", "2026-12-06T00:02:02.000Z", 1200),
    event("o-3", "checkout", "OrderCreated", "2026-12-06T00:03:00.000Z", 10, customer="c-2"),
]
EXPECTED = CustomerSummary(
    customer_id="c-1",
    orders=2,
    confirmed=1,
    cancelled=1,
    returned=1,
    spent_cents=5000,
    refunded_cents=1200,
    last_order_at="2026-12-06T00:01:01.000Z",
)


@pytest.fixture(scope="module")
def tables() -> Iterator[dict[str, str]]:
    with mock_aws():
        yield create_tables(boto3.client("dynamodb", region_name="us-east-1"))


def fresh_model(tables: dict[str, str]) -> DynamoDBReadModel:
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(tables["CustomerSummariesTable"])
    for item in table.scan()["Items"]:
        table.delete_item(Key={"customerId": item["customerId"], "sagaId": item["sagaId"]})
    return DynamoDBReadModel(table)


def summary_after(model: DynamoDBReadModel, events: list[PublishedEvent]) -> CustomerSummary:
    for published in events:
        change = change_of(published)
        assert change is not None
        model.apply(change)
    return summarize("c-1", model.projections_of("c-1"))


def test_the_events_in_order_make_the_summary(tables: dict[str, str]) -> None:
    assert summary_after(fresh_model(tables), EVENTS) == EXPECTED


@pytest.mark.parametrize("seed", range(4))
def test_duplicated_and_reordered_events_make_the_same_projections(tables: dict[str, str], seed: int) -> None:
    delivered = [*EVENTS, *random.Random(seed).sample(EVENTS, k=5)]  # five of them twice
    random.Random(seed).shuffle(delivered)
    model = fresh_model(tables)
    assert summary_after(model, delivered) == EXPECTED
    projections = sorted(model.projections_of("c-1"), key=lambda projection: projection.saga_id)
    in_order = fresh_model(tables)
    summary_after(in_order, EVENTS)
    assert sorted(in_order.projections_of("c-1"), key=lambda projection: projection.saga_id) == projections


def test_an_event_without_a_customer_changes_nothing() -> None:
    orphan = event("o-9", "checkout", "CreateOrderFailed", "2026-12-06T00:00:00.000Z", 0, customer="")
    assert change_of(orphan) is None


def test_a_customer_with_no_sagas_has_an_empty_summary(tables: dict[str, str]) -> None:
    assert summarize("c-0", fresh_model(tables).projections_of("c-0")) == CustomerSummary(customer_id="c-0")


class CountedWrites:
    """The real read model, counting its writes."""

    def __init__(self, model: DynamoDBReadModel) -> None:
        self.model, self.writes = model, 0

    def apply(self, change: ProjectionChange) -> None:
        self.writes += 1
        self.model.apply(change)

    def projections_of(self, customer_id: str) -> list[Any]:
        return self.model.projections_of(customer_id)


def batch(events: list[PublishedEvent]) -> dict[str, Any]:
    """The projector's queue's batch: each record's body the bus's event, as the rule's target delivers it."""
    return {
        "Records": [
            {
                "messageId": f"m-{number}",
                "receiptHandle": f"r-{number}",
                "body": json.dumps({"detail-type": published.event.type, "detail": published.to_payload()}),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:summaries",
            }
            for number, published in enumerate(events)
        ]
    }


def test_a_batch_is_written_once_per_saga_and_makes_the_same_projections(tables: dict[str, str]) -> None:
    model = CountedWrites(fresh_model(tables))
    delivered = [*EVENTS, EVENTS[0], EVENTS[3]]  # two of them twice
    random.Random(1).shuffle(delivered)

    answer = project_batch(batch(delivered), model)

    assert answer == {"batchItemFailures": []}
    assert model.writes == 4  # o-1, o-2, ret-1 of c-1 and o-3 of c-2, whatever the number of their events
    one_by_one = fresh_model(tables)
    assert summary_after(one_by_one, EVENTS) == EXPECTED
    assert sorted(model.projections_of("c-1"), key=lambda p: p.saga_id) == sorted(
        one_by_one.projections_of("c-1"), key=lambda p: p.saga_id
    )


def test_a_saga_whose_write_fails_fails_its_records_only(tables: dict[str, str]) -> None:
    model = fresh_model(tables)
    # o-2's item holds `events` as a string: DynamoDB refuses to ADD a set to it
    model._table.put_item(Item={"customerId": "c-1", "sagaId": "o-2", "kind": "checkout", "events": "corrupt"})
    unreadable = {"messageId": "m-bad", "receiptHandle": "r", "body": "not json", "attributes": {}}
    records = batch([EVENTS[0], EVENTS[4], EVENTS[3], EVENTS[5]])["Records"] + [unreadable]

    answer = project_batch({"Records": records}, model)

    assert sorted(failure["itemIdentifier"] for failure in answer["batchItemFailures"]) == ["m-1", "m-3", "m-bad"]
    written = model._table.get_item(Key={"customerId": "c-1", "sagaId": "o-1"})["Item"]
    assert (written["events"], written["spentCents"]) == ({"OrderCreated", "OrderConfirmed"}, 5000)
