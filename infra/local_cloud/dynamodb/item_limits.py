"""DynamoDB's item rules that moto enforces on some paths only (seam `item_limits`, docs/local-cloud-seams.md).

1. A key attribute may not be an empty string or binary. moto refuses one in GetItem, PutItem and a transaction's
   Update; here also in UpdateItem (which, in moto, stored an item under the empty key), DeleteItem, BatchGetItem and
   a transaction's Delete and ConditionCheck, with DynamoDB's ValidationException.
2. An item may not outgrow 400 KB. moto checks only an attribute being SET; an ADD to a set or a number, or
   list_append through a nested path, could grow an item past it. Here every UpdateItem (alone or in a transaction)
   whose item ends larger is refused with DynamoDB's ValidationException (in a transaction: cancelled, the item's
   reason ``ValidationError``), and leaves nothing behind: the item as it
   was (none, if the update created it), and no stream record. The original is moto's own copy of the item, taken by
   the ``copy`` module item_level_transactions puts in moto's models (dynamodb/patches.py), so no copy is added."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from local_cloud.seams import Installation, replace, require_signature

ITEM_SIZE_LIMIT = 400 * 1024  # bytes: the attribute names' and values' UTF-8 lengths, as DynamoDB counts them

_originals = threading.local()  # while an UpdateItem runs on this thread: the copies moto took of its item
_transaction = threading.local()  # set while a TransactWriteItems runs on this thread


class ValidationError(Exception):
    """An item too large in a transaction: moto names the item's cancellation reason after the exception's class,
    and DynamoDB's reason is ``ValidationError`` (the transaction is cancelled, not refused as a request)."""


@contextmanager
def transaction() -> Iterator[None]:
    """Marks the TransactWriteItems running on this thread (dynamodb/patches.py, item_level_transactions)."""
    _transaction.active = True
    try:
        yield
    finally:
        _transaction.active = False


def empty_key(key: Any) -> str | None:
    """The name of a key attribute given an empty string or binary value, if any."""
    if not isinstance(key, dict):
        return None
    for name, value in key.items():
        if isinstance(value, dict) and len(value) == 1:
            kind, content = next(iter(value.items()))
            if kind in ("S", "B") and content in ("", b""):
                return str(name)
    return None


def item_size(attrs: dict[str, Any]) -> int:
    """An item's size as DynamoDB counts it: each attribute's name plus its value (moto's own sizing, per value)."""
    return sum(len(name.encode()) + value.size() for name, value in attrs.items())


def remember_copy(value: Any, copied: Any) -> None:
    """Called by the ``copy`` module moto's models see, for each deep copy: an UpdateItem's first is its original."""
    found = getattr(_originals, "copies", None)
    if found is not None:
        found.append((value, copied))


@contextmanager
def _copies_taken() -> Iterator[list[tuple[Any, Any]]]:
    outer = getattr(_originals, "copies", None)
    _originals.copies = []
    try:
        yield _originals.copies
    finally:
        _originals.copies = outer


def install_item_limits() -> Installation:
    from moto.dynamodb.exceptions import ItemSizeToUpdateTooLarge, KeyIsEmptyStringException
    from moto.dynamodb.models import DynamoDBBackend

    get_keys_value = DynamoDBBackend.get_keys_value
    update_item = DynamoDBBackend.update_item
    require_signature(get_keys_value, ["self", "table", "keys"], "DynamoDBBackend.get_keys_value")
    require_signature(
        update_item,
        [
            "self",
            "table_name",
            "key",
            "update_expression",
            "expression_attribute_names",
            "expression_attribute_values",
            "attribute_updates",
            "expected",
            "condition_expression",
            "return_values_on_condition_check_failure",
        ],
        "DynamoDBBackend.update_item",
    )

    def keys_value(self: Any, table: Any, keys: dict[str, Any]) -> Any:
        if (name := empty_key(keys)) is not None:
            raise KeyIsEmptyStringException(name)
        return get_keys_value(self, table, keys)

    def limited_update_item(self: Any, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        if (name := empty_key(key)) is not None:
            raise KeyIsEmptyStringException(name)
        table = self.get_table(table_name)
        shard = table.stream_shard
        streamed = len(shard.items) if shard is not None else 0
        with _copies_taken() as copies:
            item = update_item(self, table_name, key, *args, **kwargs)
        if item_size(item.attrs) <= ITEM_SIZE_LIMIT:
            return item
        original = next((copied for value, copied in copies if value is None or value is item), _UNKNOWN)
        if original is not _UNKNOWN:
            put_back(table, item.hash_key, item.range_key, original)
            if shard is not None:
                del shard.items[streamed:]
        if getattr(_transaction, "active", False):
            raise ValidationError(ItemSizeToUpdateTooLarge.item_size_to_update_too_large_msg)
        raise ItemSizeToUpdateTooLarge()

    return Installation(
        [
            replace(DynamoDBBackend, "get_keys_value", keys_value),
            replace(DynamoDBBackend, "update_item", limited_update_item),
        ]
    )


_UNKNOWN = object()


def put_back(table: Any, hash_key: Any, range_key: Any, original: Any) -> None:
    """The table's item at this key as it was: ``original``, or none."""
    if range_key is not None:
        if original is None:
            table.items.get(hash_key, {}).pop(range_key, None)
        else:
            table.items[hash_key][range_key] = original
    elif original is None:
        table.items.pop(hash_key, None)
    else:
        table.items[hash_key] = original
