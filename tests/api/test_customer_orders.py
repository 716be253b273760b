"""GET /customers/{customerId}/orders: newest first, paged, from the orders' byCustomer index."""

from __future__ import annotations

from checkout_saga.models import Order, OrderStatus, PricedItem
from tests.api.conftest import Call, Cloud


def order(cloud: Cloud, order_id: str, customer_id: str, minute: int, status: OrderStatus) -> None:
    at = f"2026-11-22T10:{minute:02d}:00.000Z"
    cloud.stack.orders.create(
        Order(
            order_id=order_id,
            customer_id=customer_id,
            status=status,
            items=[PricedItem(sku="KB-001", quantity=1, unit_price_cents=4999)],
            total_cents=4999,
            created_at=at,
            updated_at=at,
        )
    )


def test_a_customers_orders_newest_first_a_page_at_a_time(call: Call, cloud: Cloud) -> None:
    for minute, status in enumerate([OrderStatus.CONFIRMED, OrderStatus.CANCELLED, OrderStatus.PENDING]):
        order(cloud, f"ord-{minute}", "c-7", minute, status)
    order(cloud, "ord-other", "c-8", 5, OrderStatus.CONFIRMED)

    first = call("GET", "/customers/c-7/orders", query={"limit": "2"})
    second = call("GET", "/customers/c-7/orders", query={"limit": "2", "next": first.body["next"]})

    assert first.status == 200
    assert first.body["items"] == [
        {"orderId": "ord-2", "status": "PENDING", "totalCents": 4999, "createdAt": "2026-11-22T10:02:00.000Z"},
        {"orderId": "ord-1", "status": "CANCELLED", "totalCents": 4999, "createdAt": "2026-11-22T10:01:00.000Z"},
    ]
    assert [item["orderId"] for item in second.body["items"]] == ["ord-0"]
    assert second.body["next"] is None


def test_a_customer_without_orders_gets_an_empty_page(call: Call) -> None:
    assert call("GET", "/customers/nobody/orders").body == {"items": [], "next": None}


def test_a_token_of_another_customer_is_a_400(call: Call, cloud: Cloud) -> None:
    for minute in range(2):
        order(cloud, f"ord-{minute}", "c-7", minute, OrderStatus.CONFIRMED)
    token = call("GET", "/customers/c-7/orders", query={"limit": "1"}).body["next"]

    response = call("GET", "/customers/c-8/orders", query={"next": token})

    assert response.status == 400
    assert response.body["errors"] == [{"field": "next", "message": "the token continues another customer's listing"}]


def test_a_limit_out_of_range_is_a_400(call: Call) -> None:
    response = call("GET", "/customers/c-7/orders", query={"limit": "101"})

    assert response.status == 400
    assert [error["field"] for error in response.body["errors"]] == ["limit"]
