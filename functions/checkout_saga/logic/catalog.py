"""The catalog as store staff change it: a stocktake (PUT: sets what is there, on the condition that the
product has not changed since the version it was based on), a delivery (restock: adds, atomically), and
the paged listing. docs/api.md says when to use which."""

from __future__ import annotations

from pydantic import ConfigDict

from checkout_saga.dal.interfaces import InventoryRepository
from checkout_saga.logic.page_tokens import Page, decode_token, encode_token
from checkout_saga.logic.stock_shards import split_evenly
from checkout_saga.models import CamelModel, Product, Sku, StockedProduct

STOCKTAKE_ROUNDS = 3  # a stocktake based on no version reads and writes again when a sale slipped in between


class UnknownSku(LookupError):
    pass


class ProductChanged(RuntimeError):
    """The product changed since the version the stocktake was based on (409: count again)."""


def stocktake(product: Product, based_on: int | None, inventory: InventoryRepository) -> StockedProduct:
    """Set the product (name, price, units available) as counted. With `based_on` (the version the count was
    made against) the write happens only if nothing changed since; without it, against the version read
    just before, so the write never lands half-way through a reservation."""
    sku = product.sku
    for _ in range(STOCKTAKE_ROUNDS):
        if based_on is None:
            current = inventory.get_stocked(sku)
            expected = current.version if current is not None else None
        else:
            expected = based_on
        stored = inventory.set_product(product, expected, split_evenly(product.available, product.shards))
        if stored is not None:
            return stored
        if based_on is not None:
            raise ProductChanged(f"{sku} changed since version {based_on}: count again")
    raise ProductChanged(f"{sku} kept changing while it was being set; try again")


def restock(sku: str, quantity: int, inventory: InventoryRepository) -> StockedProduct:
    """The delivery spread evenly over the shards new stock goes to: the sum grows by exactly `quantity`."""
    stock = inventory.shard_stock([sku]).get(sku)
    product = inventory.restock(sku, split_evenly(quantity, stock.shards)) if stock is not None else None
    if product is None:
        raise UnknownSku(f"no product {sku}")
    return product


class _ProductPageKey(CamelModel):
    model_config = ConfigDict(extra="forbid", alias_generator=None)

    pk: str
    catalog: str
    sku: Sku


def list_products(limit: int, token: str | None, inventory: InventoryRepository) -> Page[StockedProduct]:
    start = decode_token(token, _ProductPageKey).model_dump() if token else None
    products, last_key = inventory.list_products(limit, start)
    return Page(products, encode_token(last_key) if last_key else None)
