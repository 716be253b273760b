"""Inventory table: products (pk PRODUCT#<sku>), their extra stock shards (pk PRODUCT#<sku>#<n>, n >= 1), stock
reservations (pk RESERVATION#<orderId>) and the restocks of returns (pk RETURN#<returnId>).

A product's stock is split over `shardItems` items (1 by default): the product's own item is shard 0, and holds
`shards` (the shards new stock goes to) and `shardItems` (the shard items that exist, never fewer). Its
`available` and `version` as the API shows them are the sums over every shard item.

Taking stock is one TransactWriteItems: the reservation (which records the shards it took from) is created with
attribute_not_exists and every shard taken from is decremented with `available >= :q`. A retried reserve
therefore finds the reservation and takes nothing twice, and concurrent reserves can never drive a shard (hence
the sum) below zero."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from checkout_saga.dal.aws_errors import REFUSED, TRANSACTION_CANCELED, error_code
from checkout_saga.dal.dynamodb_saga_log import require_dynamodb
from checkout_saga.dal.dynamodb_transactions import transact
from checkout_saga.dal.dynamodb_values import plain
from checkout_saga.dal.interfaces import LogAppend, PageKey
from checkout_saga.errors import OutOfStock, StockMoved, TransientStepError, UnknownProduct
from checkout_saga.models import (
    PricedItem,
    Product,
    Reservation,
    ReservationStatus,
    RestockStatus,
    ReturnRestock,
    ShardStock,
    ShardTake,
    StockedProduct,
)

if TYPE_CHECKING:  # the stubs are a development dependency; the Lambda runtime does not need them
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_dynamodb.type_defs import (
        KeysAndAttributesUnionTypeDef,
        TransactWriteItemTypeDef,
        UpdateTypeDef,
    )

_MAX_BATCH_GET = 100


def product_key(sku: str) -> str:
    return f"PRODUCT#{sku}"


def shard_key(sku: str, shard: int) -> str:
    """Shard 0 is the product's own item (a product of one shard is stored as before shards existed)."""
    return product_key(sku) if shard == 0 else f"{product_key(sku)}#{shard}"


def reservation_key(order_id: str) -> str:
    return f"RESERVATION#{order_id}"


def return_key(return_id: str) -> str:
    return f"RETURN#{return_id}"


CATALOG = "PRODUCT"  # the `catalog` attribute only products have: the sparse index byCatalog lists them
BY_CATALOG_INDEX = "byCatalog"  # template.yaml: catalog HASH, sku RANGE


class DynamoDBInventory:
    def __init__(self, table: Table) -> None:
        self._table = table
        self._client = table.meta.client

    # ---------------------------------------------------------------- catalog
    def get_products(self, skus: list[str]) -> dict[str, Product]:
        return {sku: Product.model_validate(_without_pk(item)) for sku, item in self._summed(skus).items()}

    def shard_stock(self, skus: list[str]) -> dict[str, ShardStock]:
        """What each shard of each product holds (products that do not exist are left out)."""
        found = self._read_products(skus)
        shards = self._read_shards(found)
        return {
            sku: ShardStock(
                sku=sku,
                shards=int(item.get("shards", 1)),
                available=[int(shard.get("available", 0)) for shard in shards[sku]],
            )
            for sku, item in found.items()
        }

    def _read_products(self, skus: list[str]) -> dict[str, dict[str, Any]]:
        items = self._batch_get([{"pk": product_key(sku)} for sku in sorted(set(skus))])
        return {str(item["sku"]): item for item in items}

    def _read_shards(self, products: dict[str, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        """Every shard item of each product, shard 0 first (an item a write has not created yet counts as empty)."""
        extra = [
            {"pk": shard_key(sku, shard)}
            for sku, item in products.items()
            for shard in range(1, int(item.get("shardItems", 1)))
        ]
        by_pk = {str(item["pk"]): item for item in self._batch_get(extra)}
        return {
            sku: [item] + [by_pk.get(shard_key(sku, shard), {}) for shard in range(1, int(item.get("shardItems", 1)))]
            for sku, item in products.items()
        }

    def _summed(self, skus: list[str]) -> dict[str, dict[str, Any]]:
        """Each product's item with `available` and `version` summed over its shards."""
        products = self._read_products(skus)
        return _with_sums(products, self._read_shards(products))

    def _batch_get(self, keys: list[dict[str, str]]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), _MAX_BATCH_GET):
            request: Mapping[str, KeysAndAttributesUnionTypeDef] = {
                self._table.name: {"Keys": keys[start : start + _MAX_BATCH_GET], "ConsistentRead": True}
            }
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                found.extend(plain(attributes) for attributes in response["Responses"].get(self._table.name, []))
                request = response.get("UnprocessedKeys") or {}
        return found

    def put_product(self, product: Product) -> Product:
        """Create or set a product unconditionally (seeding): all its units in shard 0, its other shards emptied;
        `version` still moves on."""
        existing = self._read_products([product.sku]).get(product.sku, {})
        writes: list[TransactWriteItemTypeDef] = [
            {
                "Update": {
                    "TableName": self._table.name,
                    "Key": {"pk": product_key(product.sku)},
                    "UpdateExpression": "SET sku = :sku, #name = :name, unitPriceCents = :price, "
                    "available = :available, #catalog = :catalog, shards = :shards, "
                    "shardItems = :items ADD version :one",
                    "ExpressionAttributeNames": {"#name": "name", "#catalog": "catalog"},
                    "ExpressionAttributeValues": {
                        ":sku": product.sku,
                        ":name": product.name,
                        ":price": product.unit_price_cents,
                        ":available": product.available,
                        ":catalog": CATALOG,
                        ":shards": product.shards,
                        ":items": max(product.shards, int(existing.get("shardItems", 1))),
                        ":one": 1,
                    },
                }
            }
        ]
        for shard in range(1, max(product.shards, int(existing.get("shardItems", 1)))):
            writes.append(self._set_shard(product.sku, shard, 0))
        self._client.transact_write_items(TransactItems=writes)
        return product

    def _set_shard(self, sku: str, shard: int, available: int) -> TransactWriteItemTypeDef:
        return {
            "Update": {
                "TableName": self._table.name,
                "Key": {"pk": shard_key(sku, shard)},
                "UpdateExpression": "SET sku = :sku, shard = :shard, available = :available ADD version :one",
                "ExpressionAttributeValues": {":sku": sku, ":shard": shard, ":available": available, ":one": 1},
            }
        }

    def get_stocked(self, sku: str) -> StockedProduct | None:
        item = self._summed([sku]).get(sku)
        return StockedProduct.model_validate(_without_pk(item)) if item else None

    def set_product(
        self, product: Product, expected_version: int | None, split: list[int] | None = None
    ) -> StockedProduct | None:
        """Write the product as given if it is still at `expected_version` (None: only if it does not exist), its
        units over its shards as `split` says (default: all in shard 0), every other shard item emptied; what is
        stored afterwards, None if it changed meanwhile. Each shard item's write is conditional on the version
        read, so a sale between the read and the write refuses the whole count."""
        amounts = split if split is not None else [product.available]
        if sum(amounts) != product.available or len(amounts) > product.shards:
            raise ValueError(
                f"{product.sku}: a split of {amounts} is not {product.available} units over {product.shards}"
            )
        products = self._read_products([product.sku])
        if (product.sku in products) != (expected_version is not None):
            return None
        current = self._read_shards(products).get(product.sku, [])
        versions = [int(item.get("version", 0)) for item in current]
        if expected_version is not None and sum(versions) != expected_version:
            return None
        count = max(len(current), product.shards, 1)
        amounts = amounts + [0] * (count - len(amounts))
        writes: list[TransactWriteItemTypeDef] = []
        for shard in range(count):
            stored = current[shard] if shard < len(current) else {}
            version = int(stored.get("version", 0))
            item: dict[str, Any] = {"pk": shard_key(product.sku, shard), "sku": product.sku}
            if shard == 0:
                item.update(product.to_payload(), catalog=CATALOG, shardItems=count)
            else:
                item["shard"] = shard
            item.update(available=amounts[shard], version=version + 1)
            if stored:
                condition = "version = :expected OR (attribute_not_exists(version) AND :expected = :zero)"
                put: dict[str, Any] = {
                    "ConditionExpression": condition,
                    "ExpressionAttributeValues": {":expected": version, ":zero": 0},
                }
            else:
                put = {"ConditionExpression": "attribute_not_exists(pk)"}
            writes.append(
                cast("TransactWriteItemTypeDef", {"Put": {"TableName": self._table.name, "Item": item, **put}})
            )
        if transact(self._client, writes) is not None:
            return None
        return StockedProduct(**product.model_dump(), version=sum(versions) + count)

    def restock(self, sku: str, amounts: list[int]) -> StockedProduct | None:
        """Add `amounts[i]` units to shard i, atomically; the product afterwards, None if there is no such product."""
        writes: list[TransactWriteItemTypeDef] = []
        for shard, units in enumerate(amounts):
            if units:
                writes.append(
                    {
                        "Update": {
                            "TableName": self._table.name,
                            "Key": {"pk": shard_key(sku, shard)},
                            "UpdateExpression": "ADD available :q, version :one",
                            "ConditionExpression": "attribute_exists(pk)",
                            "ExpressionAttributeValues": {":q": units, ":one": 1},
                        }
                    }
                )
        if writes and transact(self._client, writes) is not None:
            return None
        return self.get_stocked(sku)

    def list_products(
        self, limit: int, exclusive_start_key: PageKey | None = None
    ) -> tuple[list[StockedProduct], PageKey | None]:
        """Up to `limit` products by sku, from the sparse `byCatalog` index (reservations and the extra shards are
        not in it), each with its shards' sums."""
        query: dict[str, Any] = {
            "IndexName": BY_CATALOG_INDEX,
            "KeyConditionExpression": Key("catalog").eq(CATALOG),
            "Limit": limit,
        }
        if exclusive_start_key:
            query["ExclusiveStartKey"] = exclusive_start_key
        response = self._table.query(**query)
        listed = {str(item["sku"]): plain(item) for item in response.get("Items", [])}
        summed = _with_sums(listed, self._read_shards(listed))
        products = [StockedProduct.model_validate(_without_pk(item)) for item in summed.values()]
        return products, response.get("LastEvaluatedKey")

    # ----------------------------------------------------------- reservations
    def get_reservation(self, order_id: str) -> Reservation | None:
        item = self._table.get_item(Key={"pk": reservation_key(order_id)}, ConsistentRead=True).get("Item")
        return _reservation(plain(item)) if item else None

    def reserve(
        self, order_id: str, items: list[PricedItem], takes: list[ShardTake], log: LogAppend | None = None
    ) -> Reservation:
        """Take `takes` (where the logic planned each item's units) and record them with the reservation. The
        order's reservation if it has one already (nothing taken twice); StockMoved if a shard no longer holds
        what was planned (nothing taken: read again and plan anew)."""
        reservation = Reservation(order_id=order_id, status=ReservationStatus.RESERVED, items=items, takes=takes)
        writes = [self._put_new(reservation_key(order_id), reservation.to_payload())]
        writes.extend(self._take(takes))
        append, first = require_dynamodb(log), len(writes)
        if append is not None:
            writes.extend(append.transact_items())
        refusal = transact(self._client, writes)
        if append is not None:
            append.settle(refusal, first)
        if refusal is None:
            return reservation
        # Nothing was written. Either this order already holds a reservation (a retry), or a shard ran short.
        existing = refusal.stored(0)
        if existing is not None:
            return _reservation(existing)
        if not any(refusal.refused(index) for index in range(1, len(takes) + 1)):
            return self.reserve(order_id, items, takes)  # only the log refused (it has the transition): reserve alone
        short = sorted({take.sku for index, take in enumerate(takes, start=1) if refusal.refused(index)})
        raise StockMoved(f"the stock of {', '.join(short)} moved while reserving for order {order_id}")

    def release(self, order_id: str, log: LogAppend | None = None) -> Reservation:
        append = require_dynamodb(log)
        for _ in range(3):  # a concurrent reserve/release can win the race once; re-read and decide again
            existing = self.get_reservation(order_id)
            if existing is not None and existing.status is ReservationStatus.RELEASED:
                return existing
            if existing is None:  # record a RELEASED one, so that a late reserve cannot take stock any more
                released = Reservation(order_id=order_id, status=ReservationStatus.RELEASED)
                writes = [self._put_new(reservation_key(order_id), released.to_payload())]
            else:
                released = existing.model_copy(update={"status": ReservationStatus.RELEASED})
                key = reservation_key(order_id)
                writes = [self._set_status(key, ReservationStatus.RESERVED, ReservationStatus.RELEASED)]
                writes.extend(self._give(existing.shard_takes()))
            first = len(writes)
            if append is not None:
                writes.extend(append.transact_items())
            refusal = transact(self._client, writes)
            if append is not None:
                append.settle(refusal, first)
            if refusal is None:
                return released
            if append is not None and not refusal.refused(0) and refusal.refused(first):
                append = None  # only the log refused (it has the transition): release alone
        raise RuntimeError(f"could not release the reservation of order {order_id}: it keeps changing")

    def _put_new(self, pk: str, payload: dict[str, Any]) -> TransactWriteItemTypeDef:
        return {
            "Put": {
                "TableName": self._table.name,
                "Item": {"pk": pk, **payload},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    # ------------------------------------------------------ restocks of returns
    def get_return_restock(self, return_id: str) -> ReturnRestock | None:
        item = self._table.get_item(Key={"pk": return_key(return_id)}, ConsistentRead=True).get("Item")
        return ReturnRestock.model_validate(_without_pk(plain(item))) if item else None

    def restock_return(self, return_id: str, items: list[PricedItem]) -> ReturnRestock:
        restock = ReturnRestock(return_id=return_id, status=RestockStatus.RESTOCKED, items=items)
        record = self._put_new(return_key(return_id), restock.to_payload())
        try:
            gives = [ShardTake(sku=item.sku, shard=0, quantity=item.quantity) for item in items]
            self._client.transact_write_items(TransactItems=[record, *self._give(gives, must_exist=True)])
            return restock
        except ClientError as exc:
            if error_code(exc) != TRANSACTION_CANCELED:
                raise
            # One reason per write, in order: the restock record first, then one per item.
            refused = [reason.get("Code") == "ConditionalCheckFailed" for reason in exc.response["CancellationReasons"]]
            if not refused[0] and any(refused[1:]):
                missing = sorted({item.sku for item, no in zip(items, refused[1:], strict=True) if no})
                raise UnknownProduct(f"unknown sku: {', '.join(missing)}") from None
            existing = self.get_return_restock(return_id)  # a retry (RESTOCKED) or undone already (UNSTOCKED)
            if existing is None:  # refused for a concurrent write to the same items: the step's retry decides
                raise TransientStepError(f"restock of return {return_id} conflicted with another write") from exc
            return existing

    def unstock_return(self, return_id: str) -> ReturnRestock:
        for _ in range(3):  # a restock delivered late can win the race once; re-read and decide again
            existing = self.get_return_restock(return_id)
            if existing is not None and existing.status is RestockStatus.UNSTOCKED:
                return existing
            try:
                if existing is None:
                    tombstone = ReturnRestock(return_id=return_id, status=RestockStatus.UNSTOCKED)
                    self._table.put_item(
                        Item={"pk": return_key(return_id), **tombstone.to_payload()},
                        ConditionExpression="attribute_not_exists(pk)",
                    )
                    return tombstone
                self._client.transact_write_items(
                    TransactItems=[
                        self._set_status(return_key(return_id), RestockStatus.RESTOCKED, RestockStatus.UNSTOCKED),
                        *self._take(
                            [ShardTake(sku=item.sku, shard=0, quantity=item.quantity) for item in existing.items]
                        ),
                    ]
                )
                return existing.model_copy(update={"status": RestockStatus.UNSTOCKED})
            except ClientError as exc:
                if error_code(exc) not in REFUSED:
                    raise
        # The return's units went to shard 0 and are taken back from there: short if shard 0 sold them again.
        stock = self.shard_stock([item.sku for item in existing.items]) if existing else {}
        short = (
            [item.sku for item in existing.items if stock[item.sku].available[0] < item.quantity] if existing else []
        )
        if short:
            raise OutOfStock(f"the returned units of {', '.join(short)} were sold again: they cannot be taken back")
        raise RuntimeError(f"could not undo the restock of return {return_id}: it keeps changing")

    # ----------------------------------------------------------------- writes
    def _set_status(self, pk: str, expected: str, to: str) -> TransactWriteItemTypeDef:
        return {
            "Update": {
                "TableName": self._table.name,
                "Key": {"pk": pk},
                "UpdateExpression": "SET #status = :to",
                "ConditionExpression": "#status = :expected",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {":to": to, ":expected": expected},
            }
        }

    def _take(self, takes: list[ShardTake]) -> list[TransactWriteItemTypeDef]:
        """Decrement each shard, never below 0 (the transaction is refused instead)."""
        return [
            {
                "Update": {
                    "TableName": self._table.name,
                    "Key": {"pk": shard_key(take.sku, take.shard)},
                    "UpdateExpression": "SET available = available - :q ADD version :one",
                    "ConditionExpression": "attribute_exists(pk) AND available >= :q",
                    "ExpressionAttributeValues": {":q": take.quantity, ":one": 1},
                }
            }
            for take in takes
        ]

    def _give(self, takes: list[ShardTake], must_exist: bool = False) -> list[TransactWriteItemTypeDef]:
        writes: list[TransactWriteItemTypeDef] = []
        for item in takes:
            update: UpdateTypeDef = {
                "TableName": self._table.name,
                "Key": {"pk": shard_key(item.sku, item.shard)},
                "UpdateExpression": "ADD available :q, version :one",
                "ExpressionAttributeValues": {":q": item.quantity, ":one": 1},
            }
            if must_exist:
                update["ConditionExpression"] = "attribute_exists(pk)"
            writes.append({"Update": update})
        return writes


def _without_pk(item: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in item.items() if key != "pk"}


def _with_sums(
    products: dict[str, dict[str, Any]], shards: dict[str, list[dict[str, Any]]]
) -> dict[str, dict[str, Any]]:
    """Each product's item, its `available` and `version` the sums over its shard items."""
    return {
        sku: {
            **item,
            "available": sum(int(shard.get("available", 0)) for shard in shards[sku]),
            "version": sum(int(shard.get("version", 0)) for shard in shards[sku]),
        }
        for sku, item in products.items()
    }


def _reservation(item: dict[str, Any]) -> Reservation:
    return Reservation.model_validate(_without_pk(item))
