"""The customers' read model on moto's DynamoDB: its projections are the same whatever the order of the events
and however often each one is delivered, so the summary is too; the projector writes a batch in one go, 25 items a
request."""

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
    model = DynamoDBReadModel(
        boto3.resource("dynamodb", region_name="us-east-1").Table(tables["CustomerSummariesTable"])
    )
    for customer in ("c-1", "c-2"):
        model.delete(customer)
    return model


def summary_after(model: DynamoDBReadModel, events: list[PublishedEvent]) -> CustomerSummary:
    for published in events:
        change = change_of(published)
        assert change is not None
        model.apply([change])
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


def counted_requests(model: DynamoDBReadModel) -> list[int]:
    """The items of each BatchWriteItem request the model sends from now on."""
    sent: list[int] = []
    model._table.meta.client.meta.events.register(
        "before-parameter-build.dynamodb.BatchWriteItem",
        lambda params, **_: sent.append(sum(len(requests) for requests in params["RequestItems"].values())),
    )
    return sent


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


def test_a_batch_is_written_in_one_request_and_makes_the_same_projections(tables: dict[str, str]) -> None:
    model = fresh_model(tables)
    requests = counted_requests(model)
    delivered = [*EVENTS, EVENTS[0], EVENTS[3]]  # two of them twice
    random.Random(1).shuffle(delivered)

    answer = project_batch(batch(delivered), model)

    assert answer == {"batchItemFailures": []}
    assert requests == [len(EVENTS)]  # one item per event: the twice-delivered ones once
    one_by_one = fresh_model(tables)
    assert summary_after(one_by_one, EVENTS) == EXPECTED
    for customer in ("c-1", "c-2"):
        assert sorted(model.projections_of(customer), key=lambda p: p.saga_id) == sorted(
            one_by_one.projections_of(customer), key=lambda p: p.saga_id
        )


def test_a_large_batch_goes_25_items_a_request(tables: dict[str, str]) -> None:
    model = fresh_model(tables)
    requests = counted_requests(model)
    events = [
        event(f"o-{n}", "checkout", "OrderCreated", f"2026-12-06T00:{n // 60:02d}:{n % 60:02d}.000Z", 1)
        for n in range(60)
    ]

    assert project_batch(batch(events), model) == {"batchItemFailures": []}

    assert requests == [25, 25, 10]
    assert summarize("c-1", model.projections_of("c-1")).orders == 60


def test_a_failed_write_fails_every_record_read_and_their_second_delivery_completes_the_model(
    tables: dict[str, str],
) -> None:
    model = fresh_model(tables)
    # a sort key over DynamoDB's 1,024 bytes: the request that holds it is refused
    too_long = event("o-" + "x" * 1100, "checkout", "OrderCreated", "2026-12-06T00:09:00.000Z", 1)
    unreadable = {"messageId": "m-bad", "receiptHandle": "r", "body": "not json", "attributes": {}}
    records = batch([EVENTS[0], EVENTS[3], too_long])["Records"] + [unreadable]

    answer = project_batch({"Records": records}, model)

    assert sorted(failure["itemIdentifier"] for failure in answer["batchItemFailures"]) == [
        "m-0",
        "m-1",
        "m-2",
        "m-bad",
    ]
    assert project_batch(batch([EVENTS[0], EVENTS[3]]), model) == {"batchItemFailures": []}  # without the bad one
    (written,) = model.projections_of("c-1")
    assert (written.saga_id, written.events, written.spent_cents) == ("o-1", {"OrderCreated", "OrderConfirmed"}, 5000)
