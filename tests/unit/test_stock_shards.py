"""logic.stock_shards: where a reservation takes its units over a product's shards, and how a count is split."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkout_saga.errors import OutOfStock, UnknownProduct
from checkout_saga.logic.stock_shards import plan_takes, split_evenly
from checkout_saga.models import PricedItem, ShardStock, ShardTake


def _item(sku: str, quantity: int) -> PricedItem:
    return PricedItem(sku=sku, quantity=quantity, unit_price_cents=100)


def _stock(sku: str, *available: int) -> dict[str, ShardStock]:
    return {sku: ShardStock(sku=sku, shards=len(available), available=list(available))}


def test_a_take_starts_at_the_chosen_shard_and_moves_on_when_it_runs_short() -> None:
    takes = plan_takes([_item("HOT", 5)], _stock("HOT", 4, 0, 2, 1), start=lambda shards: 2)
    assert takes == [
        ShardTake(sku="HOT", shard=2, quantity=2),
        ShardTake(sku="HOT", shard=3, quantity=1),
        ShardTake(sku="HOT", shard=0, quantity=2),
    ]


def test_one_shard_that_holds_the_whole_quantity_is_preferred_to_a_spread() -> None:
    takes = plan_takes([_item("HOT", 3)], _stock("HOT", 1, 2, 5, 4), start=lambda shards: 0)
    assert takes == [ShardTake(sku="HOT", shard=2, quantity=3)]


def test_out_of_stock_only_when_every_shard_together_is_short() -> None:
    assert plan_takes([_item("HOT", 1)], _stock("HOT", 0, 0, 0, 1), start=lambda shards: 0) == [
        ShardTake(sku="HOT", shard=3, quantity=1)
    ]
    with pytest.raises(OutOfStock, match="HOT: 2 wanted, 1 available"):
        plan_takes([_item("HOT", 2)], _stock("HOT", 0, 0, 0, 1), start=lambda shards: 0)
    with pytest.raises(UnknownProduct, match="NOPE"):
        plan_takes([_item("NOPE", 1)], _stock("HOT", 1))


@given(
    available=st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=32),
    quantity=st.integers(min_value=1, max_value=100),
    first=st.integers(min_value=0, max_value=31),
)
def test_a_plan_takes_exactly_the_quantity_and_never_more_than_a_shard_holds(
    available: list[int], quantity: int, first: int
) -> None:
    try:
        takes = plan_takes([_item("HOT", quantity)], _stock("HOT", *available), start=lambda shards: first % shards)
    except OutOfStock:
        assert sum(available) < quantity
        return
    assert sum(take.quantity for take in takes) == quantity
    assert len({take.shard for take in takes}) == len(takes)  # each shard once: one write per item
    assert all(take.quantity <= available[take.shard] for take in takes)


@given(units=st.integers(min_value=0, max_value=10_000), shards=st.integers(min_value=1, max_value=32))
def test_a_split_keeps_the_sum_and_differs_by_one_at_most(units: int, shards: int) -> None:
    split = split_evenly(units, shards)
    assert (sum(split), len(split)) == (units, shards)
    assert max(split) - min(split) <= 1
