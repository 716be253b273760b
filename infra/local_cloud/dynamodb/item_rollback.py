"""The items a write names, kept before it runs and put back if it fails: a failed TransactWriteItems or
BatchWriteItem writes nothing on DynamoDB (dynamodb/patches.py item_level_transactions, dynamodb/batch_writes.py).
Used under the request lock, so nothing else writes between the snapshot and the restore."""

from __future__ import annotations

import copy
from typing import Any

from local_cloud.dynamodb.item_limits import put_back


def snapshot(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
    """(table, hash key, range key, deep copy of the item or None) for every item the write names (in
    TransactItems' shape)."""
    saved = []
    for entry in transact_items:
        for op_type, op in entry.items():
            table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
            if table is None:
                continue  # moto raises for it before anything is written
            key = key_of(table, op_type, op)
            if key is None:
                continue
            try:
                hash_key, range_key = backend.get_keys_value(table, key)
                item = table.get_item(hash_key, range_key)
            except Exception:  # an invalid key: moto rejects that operation without writing it
                continue
            saved.append((table, hash_key, range_key, copy.deepcopy(item)))
    return saved


def key_of(table: Any, op_type: str, op: dict[str, Any]) -> dict[str, Any] | None:
    """The key of the item a write (in TransactItems' shape) names, or None if it names none whole."""
    if op_type != "Put":
        key = op.get("Key")
        return key if isinstance(key, dict) else None
    attrs = op.get("Item") or {}
    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    if not all(name in attrs for name in names):
        return None
    return {name: attrs[name] for name in names}


def stream_lengths(saved: list[tuple[Any, Any, Any, Any]]) -> list[tuple[Any, int]]:
    """Each touched table's stream shard and how many records it holds before the write."""
    shards = {id(shard): shard for table, *_ in saved if (shard := getattr(table, "stream_shard", None)) is not None}
    return [(shard, len(shard.items)) for shard in shards.values()]


def unstream(streamed: list[tuple[Any, int]]) -> None:
    """A failed write wrote nothing, so its stream has no record of it (moto's writes before the
    failing item added some; under the lock, nothing else did since)."""
    for shard, length in streamed:
        del shard.items[length:]


def restore(saved: list[tuple[Any, Any, Any, Any]]) -> None:
    for table, hash_key, range_key, item in reversed(saved):  # the first snapshot of a key is its original
        put_back(table, hash_key, range_key, item)
