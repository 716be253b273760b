"""Repositories on moto's DynamoDB (tables from template.yaml): a refused write learns the stored item from the
refusal itself, so that CreateOrder and ChargePayment read nothing (their roles have no GetItem)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from checkout_saga.dal.dynamodb_orders import DynamoDBOrders
from checkout_saga.dal.dynamodb_payments import DynamoDBPayments
from checkout_saga.errors import OrderAlreadyExists
from checkout_saga.models import Order, OrderStatus, PaymentStatus, PricedItem
from tests.support.template_tables import create_tables

NOW = "2026-11-26T10:00:00.000Z"
ITEMS = [PricedItem(sku="KB-001", quantity=2, unit_price_cents=4999)]


@pytest.fixture
def tables() -> Iterator[dict[str, Any]]:
    with mock_aws():
        names = create_tables(boto3.client("dynamodb", region_name="us-east-1"))
        dynamodb = boto3.resource("dynamodb", region_name="us-east-1")
        yield {logical_id: dynamodb.Table(name) for logical_id, name in names.items()}


@pytest.fixture
def orders(tables: dict[str, Any]) -> DynamoDBOrders:
    return DynamoDBOrders(tables["OrdersTable"])


def calls_of(table: Any) -> list[str]:
    """The DynamoDB operations sent from now on through `table`'s client."""
    calls: list[str] = []
    table.meta.client.meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.append(model.name))
    return calls


def test_a_create_refused_by_a_stored_order_answers_with_it_without_reading(orders: DynamoDBOrders) -> None:
    stored = orders.create(Order.new("o-1", "c-1", OrderStatus.CANCELLED, ITEMS, NOW))
    calls = calls_of(orders._table)

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


def test_a_charge_refused_by_a_settled_payment_answers_with_it_without_reading(tables: dict[str, Any]) -> None:
    """A ChargePayment delivered twice: the first delivery declined; the second learns it from its refusal."""
    payments = DynamoDBPayments(tables["PaymentsTable"])
    payments.attempt("o-1")
    payments.settle("o-1", PaymentStatus.DECLINED, 0, "card declined")
    calls = calls_of(tables["PaymentsTable"])

    attempt = payments.attempt("o-1")
    settled = payments.settle("o-1", PaymentStatus.CAPTURED, 9998, None)

    assert calls == ["UpdateItem", "UpdateItem"]
    assert (attempt.status, settled.status, settled.amount_cents) == (PaymentStatus.DECLINED, PaymentStatus.DECLINED, 0)
    assert settled.decline_reason == "card declined"
