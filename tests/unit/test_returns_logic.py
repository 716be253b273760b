"""The return saga's rules, as plain functions: what ValidateReturn refuses, the prices a refund is made of,
and the units an order has returned."""

from checkout_saga.logic.returns import priced, return_problems, units_after
from checkout_saga.models import LineItem, Order, OrderStatus, PricedItem

NOW = "2026-11-30T12:00:00.000Z"


def order(status: OrderStatus = OrderStatus.CONFIRMED, created_at: str = "2026-11-20T12:00:00.000Z") -> Order:
    return Order(
        order_id="o-1",
        customer_id="c-1",
        status=status,
        items=[
            PricedItem(sku="KB-001", quantity=2, unit_price_cents=4999),
            PricedItem(sku="MS-001", quantity=1, unit_price_cents=2599),
        ],
        total_cents=12597,
        created_at=created_at,
        updated_at=created_at,
        returned_units={"KB-001": 1},
    )


def items(**units: int) -> list[LineItem]:
    return [LineItem(sku=sku.replace("_", "-"), quantity=quantity) for sku, quantity in units.items()]


def test_what_is_left_of_a_confirmed_order_within_the_window_may_be_returned() -> None:
    assert return_problems(order(), items(KB_001=1, MS_001=1), NOW, window_days=30) == []


def test_each_broken_rule_is_named() -> None:
    problems = return_problems(
        order(OrderStatus.CANCELLED, created_at="2026-10-01T12:00:00.000Z"),
        items(KB_001=2, CB_001=1),
        NOW,
        window_days=30,
    )

    assert problems == [
        "order o-1 is CANCELLED; only a CONFIRMED order can be returned",
        "order o-1 was placed more than 30 days ago",
        "KB-001: 2 returned, only 1 of 2 bought may be",  # one was returned already
        "CB-001 was not bought in order o-1",
    ]


def test_the_window_is_the_templates_parameter() -> None:
    assert return_problems(order(), items(MS_001=1), NOW, window_days=5) == [
        "order o-1 was placed more than 5 days ago"
    ]
    assert return_problems(None, items(MS_001=1), NOW, window_days=30) == ["no such order"]


def test_a_refund_is_made_of_the_prices_the_order_paid() -> None:
    refunded = priced(order(), items(KB_001=1, MS_001=1))

    assert [(item.sku, item.unit_price_cents) for item in refunded] == [("KB-001", 4999), ("MS-001", 2599)]
    assert sum(item.subtotal_cents for item in refunded) == 7598


def test_claiming_and_giving_back_units() -> None:
    claimed = units_after({"KB-001": 1}, items(KB_001=1, MS_001=1), 1)

    assert claimed == {"KB-001": 2, "MS-001": 1}
    assert units_after(claimed, items(KB_001=1, MS_001=1), -1) == {"KB-001": 1, "MS-001": 0}
