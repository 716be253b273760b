"""Which CONFIRMED orders of a chaos batch return something (saga_client.chaos_returns.pick_returns)."""

import random

from saga_client.chaos_returns import RETURN_SHARE, pick_returns


def test_about_the_return_share_of_many_confirmed_orders_return_what_they_bought_or_one_more() -> None:
    confirmed = [(f"order-{n}", {"A": 2, "B": 1}) for n in range(400)]
    specs = pick_returns(random.Random(7), confirmed)
    assert abs(len(specs) / len(confirmed) - RETURN_SHARE) < 0.08
    for spec in specs:
        assert spec.items
        assert all(sku in ("A", "B") for sku, _units in spec.items)
        assert all(1 <= units <= {"A": 2, "B": 1}[sku] + 1 for sku, units in spec.items)


def test_one_order_at_least_returns_when_few_were_confirmed() -> None:
    # Seeds whose draws would pick none of two orders: one of them returns all the same
    for seed in range(50):
        specs = pick_returns(random.Random(seed), [("order-1", {"A": 1}), ("order-2", {"B": 3})])
        assert len(specs) >= 1
        assert {spec.order_id for spec in specs} <= {"order-1", "order-2"}


def test_no_confirmed_order_no_return() -> None:
    assert pick_returns(random.Random(1), []) == []
