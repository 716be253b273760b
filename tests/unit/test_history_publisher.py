"""The history publisher on moto's DynamoDB and its stream (tables from template.yaml): every saga log write's
stream record is published as soon as it is written, before the saga's next write (the earliest a stream can hand
it on), and what it publishes is projected into the customers' read model. The read model must then hold the
types of the saga's history as it is read afterwards (the chaos run's invariant 7, docs/events.md).

moto 5.2.5 answers DynamoDB Streams' DescribeStream in process with "not yet implemented": the records are read
from the table's stream shard, as the local cloud's stream poller reads them (local_cloud/events/event_sources.py),
and handed on in their wire form."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.utilities import dynamo_json_dump

from checkout_saga.dal.dynamodb_inventory import DynamoDBInventory
from checkout_saga.dal.dynamodb_orders import DynamoDBOrders
from checkout_saga.dal.dynamodb_payments import DynamoDBPayments
from checkout_saga.dal.dynamodb_read_model import DynamoDBReadModel
from checkout_saga.dal.dynamodb_returns import DynamoDBReturns
from checkout_saga.dal.dynamodb_saga_log import DynamoDBSagaLog
from checkout_saga.handlers.dependencies import Repositories
from checkout_saga.handlers.forward_failure import record_forward_failure
from checkout_saga.handlers.publish_saga_history import events_added
from checkout_saga.logic.customer_summary import change_of
from checkout_saga.logic.orders import cancel_order, mark_compensation_failed
from checkout_saga.logic.saga_history import find_history
from checkout_saga.models import OrderStatus, SagaContext
from checkout_saga.saga_definition import CHECKOUT
from tests.support.template_tables import create_tables

REGION = "us-east-1"
NOW = "2026-12-06T10:00:00.000Z"
LATER = "2026-12-06T10:05:00.000Z"


@dataclass
class Stack:
    repos: Repositories
    read_model: DynamoDBReadModel
    shard: Any  # the saga log's stream
    position: int = 0

    def new_records(self) -> list[dict[str, Any]]:
        """The saga log's stream records since the last call, as a stream's poller hands them on."""
        records = self.shard.items[self.position :]
        self.position += len(records)
        return [json.loads(dynamo_json_dump(record.to_json())) for record in records]

    def publish_new_records(self) -> None:
        """What the saga log's stream holds since the last call, published and projected, record by record."""
        for record in self.new_records():
            for published in events_added(record, CHECKOUT, self.repos):
                change = change_of(published)
                if change is not None:
                    self.read_model.apply([change])

    def projected(self, customer_id: str, saga_id: str) -> set[str]:
        found = [p.events for p in self.read_model.projections_of(customer_id) if p.saga_id == saga_id]
        return found[0] if found else set()

    def history(self, saga_id: str) -> tuple[str | None, set[str]]:
        repos = self.repos
        found = find_history(saga_id, repos.saga_log, repos.return_saga_log, repos.orders, repos.returns)
        assert found is not None
        facts, events = found
        return facts.customer_id, {event.type for event in events}


@pytest.fixture
def stack() -> Iterator[Stack]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        names = create_tables(client)
        dynamodb = boto3.resource("dynamodb", region_name=REGION)
        repos = Repositories(
            orders=DynamoDBOrders(dynamodb.Table(names["OrdersTable"])),
            inventory=DynamoDBInventory(dynamodb.Table(names["InventoryTable"])),
            payments=DynamoDBPayments(dynamodb.Table(names["PaymentsTable"])),
            saga_log=DynamoDBSagaLog(dynamodb.Table(names["SagaLogTable"])),
            returns=DynamoDBReturns(dynamodb.Table(names["ReturnsTable"]), names["OrdersTable"]),
            return_saga_log=DynamoDBSagaLog(dynamodb.Table(names["ReturnSagaLogTable"])),
        )
        saga_log = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables[names["SagaLogTable"]]
        yield Stack(repos, DynamoDBReadModel(dynamodb.Table(names["CustomerSummariesTable"])), saga_log.stream_shard)


def given_up_undo(order_id: str) -> SagaContext:
    """MarkCompensationFailed's input for a saga whose CreateOrder failed before it logged anything or stored
    its order (refused, or faulted before its effect), and whose CancelOrder kept failing."""
    return SagaContext.model_validate(
        {
            "orderId": order_id,
            "customerId": "c-1",
            "items": [{"sku": "NO-SUCH-SKU", "quantity": 1}],
            "failedStep": "CreateOrder",
            "failure": {"Error": "AccessDeniedException", "Cause": "not allowed"},
            "failedCompensation": "CancelOrder",
            "compensationFailure": {"Error": "InjectedFailure", "Cause": "fault injected"},
        }
    )


def test_a_failure_logged_before_the_saga_knew_its_customer_reaches_the_read_model(stack: Stack) -> None:
    context, repos = given_up_undo("o-1"), stack.repos
    record_forward_failure(context, repos.saga_log, NOW)  # what MarkCompensationFailed does first
    stack.publish_new_records()  # published before the order is stored
    mark_compensation_failed(context, repos.orders, repos.saga_log, NOW)  # stores the order, ended
    stack.publish_new_records()
    cancel_order(SagaContext(order_id="o-1", resume_compensation=True), repos.orders, repos.saga_log, LATER)
    stack.publish_new_records()

    customer, history = stack.history("o-1")
    assert customer == "c-1"
    assert history == {"CreateOrderFailed", "CancelOrderFailed", "CompensationFailureRecorded", "OrderCancelled"}
    assert stack.projected("c-1", "o-1") == history
    order = repos.orders.get("o-1")
    assert order is not None
    assert order.status is OrderStatus.CANCELLED


def test_the_failure_and_its_customer_are_one_write(stack: Stack) -> None:
    record_forward_failure(given_up_undo("o-2"), stack.repos.saga_log, NOW)
    images = [record["dynamodb"].get("NewImage", {}) for record in stack.new_records()]
    # moto streams the new item's key first, then the write itself (as one INSERT on AWS): no other write
    assert [image.get("customerId") for image in images if "failure" in image] == [{"S": "c-1"}]
    assert all("failure" in image for image in images if "customerId" in image)
