"""The condition keys a request carries into policy evaluation, from its parameters (pure functions, no moto):
``kms:EncryptionContext:<key>`` and ``kms:EncryptionContextKeys`` of a KMS request, ``dynamodb:LeadingKeys``
(the partition key values of the items a DynamoDB request touches on one table)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

ContextValues = dict[str, str | list[str]]


def kms_context(params: Mapping[str, Any]) -> ContextValues:
    encryption_context = params.get("EncryptionContext") or {}
    values: ContextValues = {f"kms:EncryptionContext:{k}": str(v) for k, v in encryption_context.items()}
    if encryption_context:
        values["kms:EncryptionContextKeys"] = [str(k) for k in encryption_context]
    return values


def dynamodb_context(
    action: str, params: Mapping[str, Any], table: str, partition_key: Callable[[str], str | None]
) -> ContextValues:
    """``dynamodb:LeadingKeys`` for the items of ``table`` (a name) in this request; none when the request names
    no partition key value (a Scan), as on AWS, where a policy requiring it then does not match."""
    name = partition_key(table)
    if not name:
        return {}
    values = [_scalar(key[name]) for key in _keys_on(action, params, table) if name in key]
    if action == "Query" and params.get("TableName") in (table, None):
        values += _queried(params, name)
    return {"dynamodb:LeadingKeys": sorted(set(values))} if values else {}


def _keys_on(action: str, params: Mapping[str, Any], table: str) -> list[Mapping[str, Any]]:
    if action in ("TransactWriteItems", "TransactGetItems"):
        operations = [op for item in params.get("TransactItems") or [] for op in item.values()]
        return [op.get("Key") or op.get("Item") or {} for op in operations if _table_name(op) == table]
    if action == "BatchGetItem":
        return list((params.get("RequestItems") or {}).get(_batch_name(params, table), {}).get("Keys") or [])
    if action == "BatchWriteItem":
        requests = (params.get("RequestItems") or {}).get(_batch_name(params, table)) or []
        return [
            (r.get("PutRequest") or {}).get("Item") or (r.get("DeleteRequest") or {}).get("Key") or {} for r in requests
        ]
    if _table_name(params) != table:
        return []
    return [params.get("Key") or params.get("Item") or {}]


def _table_name(operation: Mapping[str, Any]) -> str:
    return str(operation.get("TableName") or "").rsplit("/", 1)[-1]


def _batch_name(params: Mapping[str, Any], table: str) -> str:
    return next((name for name in params.get("RequestItems") or {} if name.rsplit("/", 1)[-1] == table), table)


def _queried(params: Mapping[str, Any], partition_key: str) -> list[str]:
    names = params.get("ExpressionAttributeNames") or {}
    values = params.get("ExpressionAttributeValues") or {}
    expression = str(params.get("KeyConditionExpression") or "")
    for name, placeholder in re.findall(r"([#\w.]+)\s*=\s*(:\w+)", expression):
        if names.get(name, name) == partition_key and placeholder in values:
            return [_scalar(values[placeholder])]
    condition = (params.get("KeyConditions") or {}).get(partition_key) or {}
    return [_scalar(v) for v in condition.get("AttributeValueList") or []]


def _scalar(value: Any) -> str:
    if isinstance(value, Mapping) and len(value) == 1:
        return str(next(iter(value.values())))
    return str(value)
