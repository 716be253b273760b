"""Inventory table: products (pk PRODUCT#<sku>), stock reservations (pk RESERVATION#<orderId>) and the
restocks of returns (pk RETURN#<returnId>).

Taking stock is one TransactWriteItems: the reservation is created with attribute_not_exists and every
product is decremented with `available >= :q`. A retried reserve therefore finds the reservation and takes
nothing twice, and concurrent reserves can never drive `available` below zero."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from checkout_saga.dal.aws_errors import CONDITION_FAILED, REFUSED, TRANSACTION_CANCELED, error_code
from checkout_saga.dal.dynamodb_saga_log import require_dynamodb
from checkout_saga.dal.dynamodb_transactions import Refusal, transact
from checkout_saga.dal.dynamodb_updates import update_if
from checkout_saga.dal.dynamodb_values import plain
from checkout_saga.dal.interfaces import LogAppend, PageKey
from checkout_saga.errors import OutOfStock, TransientStepError, UnknownProduct
from checkout_saga.models import (
    PricedItem,
    Product,
    Reservation,
    ReservationStatus,
    RestockStatus,
    ReturnRestock,
    StockedProduct,
)

if TYPE_CHECKING:  # the stubs are a development dependency; the Lambda runtime does not need them
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_dynamodb.type_defs import (
        KeysAndAttributesUnionTypeDef,
        PutItemInputTablePutItemTypeDef,
        TransactWriteItemTypeDef,
        UpdateTypeDef,
    )

_MAX_BATCH_GET = 100


def product_key(sku: str) -> str:
    return f"PRODUCT#{sku}"


def reservation_key(order_id: str) -> str:
    return f"RESERVATION#{order_id}"


def return_key(return_id: str) -> str:
    return f"RETURN#{return_id}"


CATALOG = "PRODUCT"  # the `catalog` attribute only products have: the sparse index byCatalog lists them
BY_CATALOG_INDEX = "byCatalog"  # template.yaml: catalog HASH, sku RANGE


def _raise_shortage(items: list[PricedItem], products: dict[str, Product]) -> NoReturn:
    """Why a reservation was refused: the first item that is unknown or short."""
    for item in items:
        product = products.get(item.sku)
        if product is None:
            raise UnknownProduct(f"unknown sku {item.sku}")
        if product.available < item.quantity:
            raise OutOfStock(f"{item.sku}: {item.quantity} wanted, {product.available} available")
    # Stock moved between the transaction and this read: still report it as a shortage.
    raise OutOfStock("stock changed while reserving; not enough for every item")


class DynamoDBInventory:
    def __init__(self, table: Table) -> None:
        self._table = table
        self._client = table.meta.client

    # ---------------------------------------------------------------- catalog
    def get_products(self, skus: list[str]) -> dict[str, Product]:
        found: dict[str, Product] = {}
        unique = sorted(set(skus))
        for start in range(0, len(unique), _MAX_BATCH_GET):
            keys = [{"pk": product_key(sku)} for sku in unique[start : start + _MAX_BATCH_GET]]
            request: Mapping[str, KeysAndAttributesUnionTypeDef] = {
                self._table.name: {"Keys": keys, "ConsistentRead": True}
            }
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                for attributes in response["Responses"].get(self._table.name, []):
                    product = _product(plain(attributes))
                    found[product.sku] = product
                request = response.get("UnprocessedKeys") or {}
        return found

    def put_product(self, product: Product) -> Product:
        """Create or set a product unconditionally (seeding); `version` still moves on."""
        self._table.update_item(
            Key={"pk": product_key(product.sku)},
            UpdateExpression="SET sku = :sku, #name = :name, unitPriceCents = :price, available = :available, "
            "#catalog = :catalog ADD version :one",
            ExpressionAttributeNames={"#name": "name", "#catalog": "catalog"},
            ExpressionAttributeValues={
                ":sku": product.sku,
                ":name": product.name,
                ":price": product.unit_price_cents,
                ":available": product.available,
                ":catalog": CATALOG,
                ":one": 1,
            },
        )
        return product

    def get_stocked(self, sku: str) -> StockedProduct | None:
        item = self._table.get_item(Key={"pk": product_key(sku)}, ConsistentRead=True).get("Item")
        return StockedProduct.model_validate(_without_pk(plain(item))) if item else None

    def set_product(self, product: Product, expected_version: int | None) -> StockedProduct | None:
        """Write the product as given if it is still at `expected_version` (None: only if it does not exist);
        what is stored afterwards, None if the condition refused it."""
        stored = StockedProduct(**product.model_dump(), version=(expected_version or 0) + 1)
        if expected_version is None:
            condition, values = "attribute_not_exists(pk)", {}
        else:
            condition = "version = :expected OR (attribute_not_exists(version) AND :expected = :zero)"
            values = {":expected": expected_version, ":zero": 0}
        put: PutItemInputTablePutItemTypeDef = {
            "Item": {"pk": product_key(product.sku), "catalog": CATALOG, **stored.to_payload()},
            "ConditionExpression": condition,
        }
        if values:
            put["ExpressionAttributeValues"] = values
        try:
            self._table.put_item(**put)
            return stored
        except ClientError as exc:
            if error_code(exc) != CONDITION_FAILED:
                raise
        return None

    def restock(self, sku: str, quantity: int) -> StockedProduct | None:
        """Add `quantity` to `available` atomically; the product afterwards, None if there is no such product."""
        restocked = update_if(
            self._table,
            {"pk": product_key(sku)},
            "ADD available :q, version :one",
            "attribute_exists(pk)",
            {":q": quantity, ":one": 1},
        )
        return StockedProduct.model_validate(_without_pk(restocked.item)) if restocked.item is not None else None

    def list_products(
        self, limit: int, exclusive_start_key: PageKey | None = None
    ) -> tuple[list[StockedProduct], PageKey | None]:
        """Up to `limit` products by sku, from the sparse `byCatalog` index (reservations are not in it)."""
        query: dict[str, Any] = {
            "IndexName": BY_CATALOG_INDEX,
            "KeyConditionExpression": Key("catalog").eq(CATALOG),
            "Limit": limit,
        }
        if exclusive_start_key:
            query["ExclusiveStartKey"] = exclusive_start_key
        response = self._table.query(**query)
        products = [StockedProduct.model_validate(_without_pk(plain(item))) for item in response.get("Items", [])]
        return products, response.get("LastEvaluatedKey")

    # ----------------------------------------------------------- reservations
    def get_reservation(self, order_id: str) -> Reservation | None:
        item = self._table.get_item(Key={"pk": reservation_key(order_id)}, ConsistentRead=True).get("Item")
        return _reservation(plain(item)) if item else None

    def reserve(self, order_id: str, items: list[PricedItem], log: LogAppend | None = None) -> Reservation:
        reservation = Reservation(order_id=order_id, status=ReservationStatus.RESERVED, items=items)
        writes = [self._put_new(reservation_key(order_id), reservation.to_payload())]
        writes.extend(self._take(items))
        append, first = require_dynamodb(log), len(writes)
        if append is not None:
            writes.extend(append.transact_items())
        refusal = transact(self._client, writes)
        if append is not None:
            append.settle(refusal, first)
        if refusal is None:
            return reservation
        # Nothing was written. Either this order already holds a reservation (a retry), or stock is short.
        existing = refusal.stored(0)
        if existing is not None:
            return _reservation(existing)
        if not any(refusal.refused(index) for index in range(1, len(items) + 1)):
            return self.reserve(order_id, items)  # only the log refused (it has the transition): reserve alone
        self._raise_shortage(items, refusal)
        raise AssertionError("unreachable")  # pragma: no cover

    def _raise_shortage(self, items: list[PricedItem], refusal: Refusal) -> None:
        """Name the item that stopped the reservation, from the products as the refusal returned them."""
        for index, item in enumerate(items, start=1):
            if not refusal.refused(index):
                continue
            stored = refusal.stored(index)
            if stored is None:
                raise UnknownProduct(f"unknown sku {item.sku}")
            raise OutOfStock(f"{item.sku}: {item.quantity} wanted, {stored.get('available', 0)} available")
        raise OutOfStock("stock changed while reserving; not enough for every item")

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
                writes.extend(self._give(existing.items))
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
            self._client.transact_write_items(TransactItems=[record, *self._give(items, must_exist=True)])
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
                        *self._take(existing.items),
                    ]
                )
                return existing.model_copy(update={"status": RestockStatus.UNSTOCKED})
            except ClientError as exc:
                if error_code(exc) not in REFUSED:
                    raise
        products = self.get_products([item.sku for item in existing.items]) if existing else {}
        short = (
            [item.sku for item in existing.items if products[item.sku].available < item.quantity] if existing else []
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

    def _take(self, items: list[PricedItem]) -> list[TransactWriteItemTypeDef]:
        """Decrement each product, never below 0 (the transaction is refused instead)."""
        return [
            {
                "Update": {
                    "TableName": self._table.name,
                    "Key": {"pk": product_key(item.sku)},
                    "UpdateExpression": "SET available = available - :q ADD version :one",
                    "ConditionExpression": "attribute_exists(pk) AND available >= :q",
                    "ExpressionAttributeValues": {":q": item.quantity, ":one": 1},
                }
            }
            for item in items
        ]

    def _give(self, items: list[PricedItem], must_exist: bool = False) -> list[TransactWriteItemTypeDef]:
        writes: list[TransactWriteItemTypeDef] = []
        for item in items:
            update: UpdateTypeDef = {
                "TableName": self._table.name,
                "Key": {"pk": product_key(item.sku)},
                "UpdateExpression": "ADD available :q, version :one",
                "ExpressionAttributeValues": {":q": item.quantity, ":one": 1},
            }
            if must_exist:
                update["ConditionExpression"] = "attribute_exists(pk)"
            writes.append({"Update": update})
        return writes


def _without_pk(item: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in item.items() if key != "pk"}


def _product(item: dict[str, Any]) -> Product:
    return Product.model_validate(_without_pk(item))


def _reservation(item: dict[str, Any]) -> Reservation:
    return Reservation.model_validate(_without_pk(item))
