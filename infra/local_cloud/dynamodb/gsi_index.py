"""Global secondary index queries in moto (pinned: 5.2.5) in time independent of the table's size.

moto answers a Query on a GSI by scanning every item of the table, keeping those with the index's hash
value and sorting them all, before it applies Limit: a Query of the newest 20 took ~20 ms with 1k items
stored and ~1 s with 100k. Here each (table, GSI) gets a sorted index: per hash value, the
items in moto's own query order (``Table._generate_attr_to_sort_by``: GSI range key, then the table's
keys). A query then hands moto's ``Table.query`` only the page's neighbourhood (the ``Limit + 1`` items
after ``ExclusiveStartKey`` in the query's direction) in place of ``all_items()``, and moto does all the
rest as before: direction, pagination key, size limit, filter, projection.

The index is built on a GSI's first query and kept current by the request lock's hook (patches):
after every PutItem, UpdateItem, DeleteItem, BatchWriteItem and TransactWriteItems (whether it succeeded
or was rolled back) the items it names are re-read and re-filed; any other request that may write (a
PartiQL statement, a restore, a table update) drops every index, to be rebuilt on the next query. Only
queries the index answers exactly take the fast path: one equality on the GSI's single hash key, no
range-key condition, no legacy QueryFilter, a Limit. Everything else is moto's own scan.

A Query of the table's own key gets the same treatment with no index to keep: moto sorts every item of the table
(``all_items()``) to keep those of the query's partition, and sorts those by range key; it is handed the
partition's items (the table holds them by hash key), and does all the rest as before.
"""

from __future__ import annotations

import bisect
import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from local_cloud.seams import Installation, SeamChanged, replace, require_signature, require_source

# Requests that never write: they leave the indexes as they are.
_READS = frozenset(
    {
        "GetItem",
        "BatchGetItem",
        "Query",
        "Scan",
        "TransactGetItems",
        "DescribeTable",
        "ListTables",
        "DescribeTimeToLive",
        "ListTagsOfResource",
        "DescribeContinuousBackups",
        "DescribeEndpoints",
        "DescribeLimits",
        "ListBackups",
        "DescribeBackup",
        "ListGlobalTables",
        "DescribeGlobalTable",
        "ListExports",
        "DescribeExport",
        "ListImports",
        "DescribeImport",
        "GetResourcePolicy",
    }
)
_KEYED_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
# Set by the request lock (patches) while this thread serves a DynamoDB request: the fast path swaps a
# table's all_items() for one query, which is safe only while no other request can run.
IN_REQUEST = threading.local()


@dataclass
class _Index:
    """One GSI: per hash value, (sort key, item) in moto's ascending query order."""

    hash_attr: str
    sort_attrs: list[str]
    range_attrs: list[str]
    by_hash: dict[Any, list[tuple[tuple[Any, ...], Any]]] = field(default_factory=dict)
    filed: dict[Any, tuple[Any, tuple[Any, ...]]] = field(default_factory=dict)  # primary key -> where

    def file(self, pk: Any, item: Any | None) -> None:
        where = self.filed.pop(pk, None)
        if where is not None:
            entries = self.by_hash[where[0]]
            position = bisect.bisect_left(entries, where[1], key=_sort_key)
            if position < len(entries) and entries[position][0] == where[1]:
                del entries[position]
        if item is None:
            return
        entry = self.entry(item)
        if entry is not None:
            bisect.insort(self.by_hash.setdefault(entry[0], []), (entry[1], item), key=_sort_key)
            self.filed[pk] = entry

    def entry(self, item: Any) -> tuple[Any, tuple[Any, ...]] | None:
        """(hash value, sort key) of an item, or None if the index does not hold it."""
        from moto.dynamodb.models.dynamo_type import DynamoType

        attrs = item.attrs
        if self.hash_attr not in attrs or not all(attrs.get(name) for name in self.range_attrs):
            return None  # DynamoDB indexes only items that have every key attribute of the index
        # Copies: the key must not change if an update later mutates the item's values in place.
        return DynamoType(attrs[self.hash_attr]), tuple(DynamoType(attrs[name]) for name in self.sort_attrs)


def _sort_key(entry: tuple[tuple[Any, ...], Any]) -> tuple[Any, ...]:
    return entry[0]


class GsiIndexes:
    """Every table's GSI indexes. Used under the request lock of patches only."""

    def __init__(self) -> None:
        self._tables: weakref.WeakKeyDictionary[Any, dict[str, _Index]] = weakref.WeakKeyDictionary()
        self._lock = threading.RLock()

    def drop_all(self) -> None:
        with self._lock:
            self._tables.clear()

    def index(self, table: Any, index_name: str) -> _Index | None:
        """The index of one GSI (built on first use), or None if it cannot be indexed here."""
        with self._lock:
            indexes = self._tables.setdefault(table, {})
            found = indexes.get(index_name)
            if found is None:
                found = _build(table, index_name)
                if found is not None:
                    indexes[index_name] = found
            return found

    def refile(self, backend: Any, table_name: str, keys: Iterable[dict[str, Any]]) -> None:
        with self._lock:
            table = backend.tables.get(table_name)
            indexes = self._tables.get(table) if table is not None else None
            if not indexes:
                return
            for key in keys:
                try:
                    hash_key, range_key = backend.get_keys_value(table, key)
                    item = table.get_item(hash_key, range_key)
                except Exception:  # a malformed key: that request wrote nothing under it
                    continue
                for index in indexes.values():
                    index.file((hash_key, range_key), item)

    def after_request(self, handler: Any) -> None:
        """Keep the indexes current after one DynamoDB request (called under the request lock)."""
        try:
            action = handler._get_action()
        except Exception:
            action = None
        if action in _READS or not self._tables:
            return
        params = getattr(handler, "params", None) or {}
        if action not in _KEYED_WRITES or not isinstance(params, dict):
            self.drop_all()
            return
        try:
            backend = handler.dynamodb_backend
            for table_name, keys in _written_keys(action, params, backend).items():
                self.refile(backend, table_name, keys)
        except Exception:  # whatever went wrong, a dropped index is rebuilt correct
            self.drop_all()


def _written_keys(action: str, params: dict[str, Any], backend: Any) -> dict[str, list[dict[str, Any]]]:
    written: dict[str, list[dict[str, Any]]] = {}

    def add(table_name: Any, key: Any = None, item: Any = None) -> None:
        table = backend.tables.get(table_name)
        if table is None:
            return
        if key is None and isinstance(item, dict):
            names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
            key = {name: item[name] for name in names if name in item}
        if isinstance(key, dict):
            written.setdefault(table_name, []).append(key)

    if action == "PutItem":
        add(params.get("TableName"), item=params.get("Item"))
    elif action in ("UpdateItem", "DeleteItem"):
        add(params.get("TableName"), key=params.get("Key"))
    elif action == "BatchWriteItem":
        for table_name, requests in (params.get("RequestItems") or {}).items():
            for request in requests:
                add(table_name, key=(request.get("DeleteRequest") or {}).get("Key"))
                add(table_name, item=(request.get("PutRequest") or {}).get("Item"))
    else:  # TransactWriteItems
        for entry in params.get("TransactItems") or []:
            for op_type, op in entry.items():
                if op_type == "Put":
                    add(op.get("TableName"), item=op.get("Item"))
                else:
                    add(op.get("TableName"), key=op.get("Key"))
    return written


def _build(table: Any, index_name: str) -> _Index | None:
    from moto.dynamodb.models.table import GlobalSecondaryIndex

    gsi = next((i for i in table.global_indexes if i.name == index_name), None)
    if not isinstance(gsi, GlobalSecondaryIndex):
        return None
    hash_keys = [k["AttributeName"] for k in gsi.schema if k["KeyType"] == "HASH"]
    range_keys = [k["AttributeName"] for k in gsi.schema if k["KeyType"] == "RANGE"]
    if len(hash_keys) != 1 or len(range_keys) > 1:
        return None  # multi-attribute keys: moto's own scan
    # The same lists moto's Table.query builds for a GSI, so the order is exactly its order.
    if range_keys:
        range_attrs: list[Any] = [range_keys[0], table.range_key_attr]
    elif table.range_key_attr:
        range_attrs = [table.range_key_attr, table.range_key_attr]
    else:
        range_attrs = [table.hash_key_attr, table.range_key_attr]
    sort_attrs = table._generate_attr_to_sort_by([hash_keys[0], table.hash_key_attr], range_attrs)
    index = _Index(hash_keys[0], sort_attrs, range_keys)
    try:
        for item in table.all_items():
            entry = index.entry(item)
            if entry is not None:
                index.by_hash.setdefault(entry[0], []).append((entry[1], item))
                index.filed[(item.hash_key, item.range_key)] = entry
        for entries in index.by_hash.values():
            entries.sort(key=_sort_key)
    except Exception:  # values that do not compare (mixed types): leave this GSI to moto's scan
        return None
    return index


INDEXES = GsiIndexes()


def install_indexed_queries() -> Installation:
    from moto.dynamodb.models.table import Table

    original = Table.query
    require_signature(
        original,
        [
            "self",
            "hash_key",
            "range_comparison",
            "range_objs",
            "limit",
            "exclusive_start_key",
            "scan_index_forward",
            "projection_expressions",
            "index_name",
            "consistent_read",
            "filter_expression",
            "hash_key_conditions",
            "range_key_conditions",
            "filter_kwargs",
        ],
        "Table.query",
    )
    require_source(
        original,
        [
            "for item in self.all_items():",
            "possible_results = self.sorted_items(hash_attrs, range_attrs, possible_results)",
            "if scan_index_forward is False: possible_results.reverse()",
            "if isinstance(item, Item) and item.hash_key == hash_key",
            "possible_results.sort(key=lambda item: item.range_key)",
        ],
        "Table.query",
    )
    for name in ("all_items", "_generate_attr_to_sort_by"):
        if not hasattr(Table, name):
            raise SeamChanged(f"Table.{name} is gone: moto changed this seam")

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        page = _page(self, *args, **kwargs)
        if page is None:
            return original(self, *args, **kwargs)
        self.all_items = lambda: page  # this query only; the request lock keeps others out meanwhile
        try:
            return original(self, *args, **kwargs)
        finally:
            del self.all_items

    return Installation([replace(Table, "query", query)])


def _page(
    table: Any,
    hash_key: Any,
    range_comparison: Any,
    range_objs: Any,
    limit: Any,
    exclusive_start_key: Any,
    scan_index_forward: Any,
    projection_expressions: Any,
    index_name: Any = None,
    consistent_read: Any = False,
    filter_expression: Any = None,
    hash_key_conditions: Any = None,
    range_key_conditions: Any = None,
    **filter_kwargs: Any,
) -> list[Any] | None:
    """The items moto needs to see to answer this query exactly, or None when the index cannot say."""
    if not getattr(IN_REQUEST, "active", False):
        return None
    if not index_name:  # the table's own key: moto keeps the partition's items, and sorts them by range key
        held = table.items.get(hash_key)
        if held is None:
            return []
        return list(held.values()) if table.range_key_attr else [held]
    if range_comparison or range_key_conditions or filter_kwargs or not isinstance(limit, int):
        return None
    if limit < 1 or not hash_key_conditions or len(hash_key_conditions) != 1:
        return None
    index = INDEXES.index(table, index_name)
    if index is None or hash_key_conditions[0][0] != index.hash_attr:
        return None
    entries = index.by_hash.get(hash_key_conditions[0][1], [])
    start, end = 0, len(entries)
    if exclusive_start_key:
        from moto.dynamodb.models.dynamo_type import DynamoType

        if not all(name in exclusive_start_key for name in index.sort_attrs):
            return None
        after = tuple(DynamoType(exclusive_start_key[name]) for name in index.sort_attrs)
        if scan_index_forward is False:
            end = bisect.bisect_left(entries, after, key=_sort_key)
        else:
            start = bisect.bisect_right(entries, after, key=_sort_key)
    if scan_index_forward is False:
        start = max(start, end - limit - 1)
    else:
        end = min(end, start + limit + 1)
    return [item for _, item in entries[start:end]]
