"""The orders table's repository on moto's DynamoDB (tables from template.yaml): what a refused create learns
from the refusal itself, so that CreateOrder needs no read (its role may only PutItem)."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from checkout_saga.dal.dynamodb_orders import DynamoDBOrders
from checkout_saga.errors import OrderAlreadyExists
from checkout_saga.models import Order, OrderStatus, PricedItem
from tests.support.template_tables import create_tables

NOW = "2026-11-26T10:00:00.000Z"
ITEMS = [PricedItem(sku="KB-001", quantity=2, unit_price_cents=4999)]


@pytest.fixture
def orders() -> Iterator[DynamoDBOrders]:
    with mock_aws():
        names = create_tables(boto3.client("dynamodb", region_name="us-east-1"))
        yield DynamoDBOrders(boto3.resource("dynamodb", region_name="us-east-1").Table(names["OrdersTable"]))


def test_a_create_refused_by_a_stored_order_answers_with_it_without_reading(orders: DynamoDBOrders) -> None:
    stored = orders.create(Order.new("o-1", "c-1", OrderStatus.CANCELLED, ITEMS, NOW))
    calls: list[str] = []
    events = orders._table.meta.client.meta.events
    events.register("before-call.dynamodb.*", lambda model, **_: calls.append(model.name))

    again = orders.create(Order.new("o-1", "c-1", OrderStatus.PENDING, ITEMS, NOW))

    assert calls == ["PutItem"]
    assert again == stored
    assert again.status is OrderStatus.CANCELLED


def test_a_create_refused_by_another_order_under_the_id_says_so(orders: DynamoDBOrders) -> None:
    orders.create(Order.new("o-1", "c-1", OrderStatus.PENDING, ITEMS, NOW))

    with pytest.raises(OrderAlreadyExists, match="o-1 already exists with other contents"):
        orders.create(Order.new("o-1", "someone-else", OrderStatus.PENDING, ITEMS, NOW))
    stored = orders.get("o-1")
    assert stored is not None
    assert stored.customer_id == "c-1"
