"""What one DynamoDB request served by moto consumes on AWS, metered into ``usage_meter.USAGE``.

It runs inside the request lock of patches (``DynamoHandler.call_action``): the items a write names
are read from moto's tables before and after the operation, their sizes priced with capacity's
rules. moto's own ``ConsumedCapacity`` answers are constants (see capacity), so they are not used.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from local_cloud.dynamodb.capacity import index_writes, item_size, read_units, write_units
from local_cloud.usage_meter import USAGE

_WRITES = {"PutItem": "Put", "UpdateItem": "Update", "DeleteItem": "Delete"}
_callers: dict[str, str] = {}  # access key id -> caller name


def metered(handler: Any, call: Callable[[], Any]) -> Any:
    """Run ``call`` (moto's handling of the request) and meter what it consumed."""
    operation = handler.headers.get("X-Amz-Target", "").rpartition(".")[2]
    params = getattr(handler, "params", None)  # parsed by then; `body` becomes them inside call_action
    body = params if isinstance(params, dict) else {}
    backend = handler.dynamodb_backend
    targets = write_targets(operation, body)
    before = [stored_item(backend, table, key) for table, key, _ in targets]
    response = call()
    try:
        succeeded = int(response[0]) < 300
        reads, writes = _consumed(backend, operation, body, targets, before, succeeded, response)
    except Exception:  # metering must never change what the client gets
        return response
    USAGE.add_dynamodb(caller_name(handler), operation, reads, writes)
    return response


def write_targets(operation: str, body: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(table, key or item, operation) of every item the request writes; a Put names the item itself."""
    if operation in _WRITES:
        op = {**body, "_kind": _WRITES[operation]}
        return [(body.get("TableName", ""), body.get("Key") or body.get("Item") or {}, op)]
    if operation == "TransactWriteItems":
        targets = []
        for entry in body.get("TransactItems", []):
            for kind, op in entry.items():
                if kind == "ConditionCheck":
                    continue
                targets.append((op.get("TableName", ""), op.get("Key") or op.get("Item") or {}, {**op, "_kind": kind}))
        return targets
    return []


def _table(backend: Any, name: str) -> Any:
    try:
        return backend.get_table(name)
    except Exception:
        return None


def stored_item(backend: Any, table_name: str, key_or_item: dict[str, Any]) -> dict[str, Any] | None:
    table = _table(backend, table_name)
    if table is None:
        return None
    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    if not all(name in key_or_item for name in names):
        return None
    try:
        hash_key, range_key = backend.get_keys_value(table, {name: key_or_item[name] for name in names})
        item = table.get_item(hash_key, range_key)
    except Exception:
        return None
    return dict(item.to_json()["Attributes"]) if item is not None else None


def _consumed(
    backend: Any,
    operation: str,
    body: dict[str, Any],
    targets: list[tuple[str, dict[str, Any], dict[str, Any]]],
    before: list[dict[str, Any] | None],
    succeeded: bool,
    response: Any,
) -> tuple[float, float]:
    if targets:
        transactional = operation == "TransactWriteItems"
        writes = 0.0
        for (table_name, key, _), old in zip(targets, before, strict=True):
            new = stored_item(backend, table_name, key) if succeeded else old
            writes += write_units(item_size(old), item_size(new), transactional)
            if succeeded:
                writes += _index_units(_table(backend, table_name), old, new)
        return 0.0, writes
    if operation == "GetItem":
        item = stored_item(backend, body.get("TableName", ""), body.get("Key", {}))
        return read_units(item_size(item), bool(body.get("ConsistentRead"))), 0.0
    if operation == "BatchGetItem":
        reads = 0.0
        for table_name, request in body.get("RequestItems", {}).items():
            for key in request.get("Keys", []):
                item = stored_item(backend, table_name, key)
                reads += read_units(item_size(item), bool(request.get("ConsistentRead")))
        return reads, 0.0
    if operation == "TransactGetItems":
        reads = 0.0
        for entry in body.get("TransactItems", []):
            get = entry.get("Get", {})
            reads += read_units(
                item_size(stored_item(backend, get.get("TableName", ""), get.get("Key", {}))), True, True
            )
        return reads, 0.0
    if operation in ("Query", "Scan"):
        items = json.loads(response[2]).get("Items", []) if succeeded else []
        consistent = bool(body.get("ConsistentRead")) and not body.get("IndexName")
        return read_units(sum(item_size(item) for item in items), consistent), 0.0
    return 0.0, 0.0  # control-plane calls (CreateTable, DescribeTable...) consume no capacity


def _index_units(table: Any, old: dict[str, Any] | None, new: dict[str, Any] | None) -> float:
    if table is None:
        return 0.0
    units = 0
    table_keys = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    for index in table.global_indexes or []:
        index_keys = tuple(part["AttributeName"] for part in index.schema)
        projection = index.projection or {}
        kind = projection.get("ProjectionType", "ALL")
        kept = None if kind == "ALL" else {*table_keys, *index_keys, *projection.get("NonKeyAttributes", [])}
        sizes = [item_size(_project(item, kept)) for item in (old, new)]
        units += index_writes(old, new, index_keys, max(sizes))
    return float(units)


def _project(item: dict[str, Any] | None, kept: set[str] | None) -> dict[str, Any] | None:
    if item is None or kept is None:
        return item
    return {name: value for name, value in item.items() if name in kept}


def caller_name(handler: Any) -> str:
    authorization = handler.headers.get("Authorization") or ""
    key = authorization.partition("Credential=")[2].partition("/")[0]
    name = _callers.get(key)
    if name is None:
        name = _callers[key] = _name_of(handler, key)
    return name


def _name_of(handler: Any, access_key_id: str) -> str:
    from moto.sts.models import sts_backends

    from local_cloud.iam.enforcement import ADMIN_ACCESS_KEYS

    if access_key_id in ADMIN_ACCESS_KEYS:
        return "admin"
    account = handler.current_account
    for partition_backends in sts_backends[account].values():
        for assumed in partition_backends.assumed_roles:
            if assumed.access_key_id == access_key_id:
                return str(assumed.session_name)
    return access_key_id or "anonymous"
