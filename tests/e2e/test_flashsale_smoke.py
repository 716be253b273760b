"""make flashsale's machinery at a tiny size on the suite's stack: every unit sold exactly once, with 1 shard and
with 8, and the summary line in its contract's form. Never how fast (make flashsale is the measure)."""

from __future__ import annotations

import re

import pytest

from saga_client.flashsale import FlashSaleOptions, report, run_flashsale
from tests.support.stack import Stack

TINY = FlashSaleOptions(buyers=6, units=3, concurrency=3, shard_counts=(1, 8), timeout=120.0)


@pytest.mark.e2e
@pytest.mark.slow
def test_a_tiny_flash_sale_sells_exactly_the_stock_with_1_and_8_shards(deployed_stack: Stack) -> None:
    deployed_stack.set_faults({})
    assert deployed_stack.endpoint_url is not None

    rounds = run_flashsale(deployed_stack.endpoint_url, deployed_stack.outputs, TINY)

    assert [sale.shards for sale in rounds] == [1, 8]
    for sale in rounds:
        assert sale.errors == []
        assert (sale.sold, sale.left, sale.oversold) == (TINY.units, 0, 0)
        assert sale.buyers >= TINY.buyers
        assert sum(sale.statuses.values()) == sale.buyers  # every buyer's order ended: sold or refused
        assert deployed_stack.available(sale.sku) == {sale.sku: 0}
        stored = deployed_stack.inventory.shard_stock([sale.sku])[sale.sku]
        assert (stored.shards, len(stored.available)) == (sale.shards, sale.shards)  # the sale had its shards
    lines = report(rounds, 1000)
    assert re.fullmatch(r"flashsale: sold 6 of 6, oversold 0, 1 shard \d+\.\d/s, 8 shards \d+\.\d/s", lines[-1])
