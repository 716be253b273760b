"""A product's stock split over shards (items of their own), so that a hot product's sales spread over several
DynamoDB partitions: where a reservation takes its units, how a count is split. The product's `available` is the
sum of its shards; nothing here writes, the data access does (docs/scale.md)."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping

from checkout_saga.errors import OutOfStock, UnknownProduct
from checkout_saga.models import PricedItem, ShardStock, ShardTake

StartShard = Callable[[int], int]  # given a number of shards, the one to try first


def random_start(shards: int) -> int:
    """Buyers start at different shards, so that concurrent sales hit different items."""
    return random.randrange(shards)


def plan_takes(
    items: list[PricedItem], stock: Mapping[str, ShardStock], start: StartShard = random_start
) -> list[ShardTake]:
    """Where to take each item's units: from the first shard, counting from the one `start` picks, that holds them
    all, else from each shard in turn from that one.
    Raises UnknownProduct for a sku with no stock record, OutOfStock only when all its shards together are short."""
    left = {sku: list(shard_stock.available) for sku, shard_stock in stock.items()}
    takes: list[ShardTake] = []
    for item in items:
        shards = left.get(item.sku)
        if shards is None:
            raise UnknownProduct(f"unknown sku {item.sku}")
        if sum(shards) < item.quantity:
            raise OutOfStock(f"{item.sku}: {item.quantity} wanted, {sum(shards)} available")
        wanted, first = item.quantity, start(len(shards))
        order = [(first + step) % len(shards) for step in range(len(shards))]
        # One shard that holds the whole quantity if there is one (a transaction holds at most 100 writes); else
        # every shard in turn from the first.
        whole = next((shard for shard in order if shards[shard] >= wanted), None)
        for shard in [whole] if whole is not None else order:
            taken = min(shards[shard], wanted)
            if taken:
                takes.append(ShardTake(sku=item.sku, shard=shard, quantity=taken))
                shards[shard] -= taken
                wanted -= taken
            if not wanted:
                break
    return takes


def split_evenly(units: int, shards: int) -> list[int]:
    """`units` over `shards` shards, the first ones one more when it does not divide: the sum stays exact."""
    share, extra = divmod(units, shards)
    return [share + (1 if shard < extra else 0) for shard in range(shards)]
