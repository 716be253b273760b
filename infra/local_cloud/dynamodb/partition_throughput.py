"""DynamoDB's per-partition write throughput: writes to one partition key beyond its limit are throttled.

On AWS one partition takes at most 1,000 write capacity units per second, in on-demand and provisioned mode
alike (Amazon DynamoDB Developer Guide, "Partitions and data distribution" and "Key range throughput exceeded").
A hot key (one product's stock in a flash sale) hits it whatever the table's capacity. DynamoDB then refuses the
write with ``ProvisionedThroughputExceededException`` whose ``ThrottlingReasons`` say
``TableWriteKeyRangeThroughputExceeded``; a ``TransactWriteItems`` that touches the hot key is cancelled with
``TransactionCanceledException`` whose reason for that item is ``ThrottlingError``. The SDKs retry the first
(botocore's legacy and standard modes both list it as throttling), not the second: a transaction's caller decides.

moto has no such limit. Here each partition key (table, hash key value) has a token bucket holding one second of
its limit, refilled continuously; a write is admitted only when every key it touches has the units it costs
(capacity.write_units: 1 per KB of the larger of the item before and after, twice that in a transaction), and a
refused write consumes nothing, as on AWS. ``LOCAL_CLOUD_PARTITION_WCU`` lowers the limit so that the effect
shows on a small machine; unset, it is AWS's. ``LOCAL_CLOUD_PARTITION_WCU_TABLES`` (table name patterns, comma-
separated, ``*`` a wildcard) lowers it for those tables only, the others keeping AWS's: a lowered limit scales down
the hot key's share of a small machine's load, but each saga's own items are written at the same pace on any
machine, and a limit of a few units would throttle them too, which AWS's never does.
"""

from __future__ import annotations

import fnmatch
import json
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from local_cloud.dynamodb.capacity import item_size, write_units
from local_cloud.dynamodb.usage import stored_item, write_targets

LIMIT_VARIABLE = "LOCAL_CLOUD_PARTITION_WCU"
TABLES_VARIABLE = "LOCAL_CLOUD_PARTITION_WCU_TABLES"
AWS_PARTITION_WCU = 1000.0  # write units per second one partition takes on AWS
_JSON = "application/x-amz-json-1.0"
_TYPE_PREFIX = "com.amazonaws.dynamodb.v20120810#"
_REASON = "TableWriteKeyRangeThroughputExceeded"
_MESSAGE = (
    "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table "
    "or index so please try again shortly. If exceptions persist, check if you have a hot key"
)

PartitionKey = tuple[str, str]  # (table name, hash key value as its wire JSON)


def partition_wcu_limit() -> float:
    """The limit in force: ``LOCAL_CLOUD_PARTITION_WCU`` (a positive number) or AWS's."""
    raw = os.environ.get(LIMIT_VARIABLE, "").strip()
    if not raw:
        return AWS_PARTITION_WCU
    try:
        limit = float(raw)
    except ValueError:
        raise ValueError(f"{LIMIT_VARIABLE} must be a positive number of write units per second, not {raw!r}") from None
    if not limit > 0:
        raise ValueError(f"{LIMIT_VARIABLE} must be a positive number of write units per second, not {raw!r}")
    return limit


def lowered_tables() -> tuple[str, ...]:
    """The table name patterns the lowered limit applies to (``LOCAL_CLOUD_PARTITION_WCU_TABLES``); empty: all."""
    return tuple(pattern.strip() for pattern in os.environ.get(TABLES_VARIABLE, "").split(",") if pattern.strip())


class PartitionBuckets:
    """One token bucket per partition key, each holding at most one second of its table's limit: `limit`, for the
    tables matching `tables` (every table if none), AWS's for the others."""

    def __init__(self, limit: float, clock: Callable[[], float] = time.monotonic, tables: tuple[str, ...] = ()) -> None:
        self.limit = limit
        self._tables = tables
        self._limits: dict[str, float] = {}  # table name -> its limit
        self._clock = clock
        self._buckets: dict[PartitionKey, tuple[float, float]] = {}  # key -> (tokens, when counted)
        self._lock = threading.Lock()
        self.throttled = 0  # writes refused so far

    def admit(self, costs: dict[PartitionKey, float]) -> list[PartitionKey]:
        """Take `costs` (units per key) if every key has them; else take nothing and name the keys short.
        A write costing more than a whole second of the limit passes when its bucket is full (else it never would)."""
        with self._lock:
            now = self._clock()
            levels = {key: self._level(key, now) for key in costs}
            short = [key for key, units in costs.items() if levels[key] < min(units, self.limit_of(key[0]))]
            if short:
                self.throttled += 1
                return short
            for key, units in costs.items():
                self._buckets[key] = (levels[key] - units, now)
            return []

    def limit_of(self, table: str) -> float:
        if table not in self._limits:
            lowered = not self._tables or any(fnmatch.fnmatchcase(table, pattern) for pattern in self._tables)
            self._limits[table] = self.limit if lowered else AWS_PARTITION_WCU
        return self._limits[table]

    def _level(self, key: PartitionKey, now: float) -> float:
        limit = self.limit_of(key[0])
        tokens, then = self._buckets.get(key, (limit, now))
        return min(limit, tokens + (now - then) * limit)


def write_costs(backend: Any, operation: str, body: dict[str, Any]) -> list[tuple[PartitionKey, float]]:
    """(partition key, units) of each item a write names, priced before it runs: the larger of the item as
    stored and, for a Put, the item given (an update's result is not known yet; it rarely crosses a KB)."""
    transactional = operation == "TransactWriteItems"
    costs = []
    for table_name, key_or_item, op in write_targets(operation, body):
        table = _table(backend, table_name)
        if table is None or table.hash_key_attr not in key_or_item:
            continue  # moto refuses the request itself
        before = item_size(stored_item(backend, table_name, key_or_item))
        after = item_size(op.get("Item")) if op.get("_kind") == "Put" else before
        partition = (table_name, json.dumps(key_or_item[table.hash_key_attr], sort_keys=True))
        costs.append((partition, float(write_units(before, after, transactional))))
    return costs


def throttled_response(backend: Any, operation: str, body: dict[str, Any], buckets: PartitionBuckets) -> Any:
    """DynamoDB's refusal if the write exceeds a partition's throughput, else None (and its units are taken)."""
    priced = write_costs(backend, operation, body)
    if not priced:
        return None
    costs: dict[PartitionKey, float] = {}
    for key, units in priced:
        costs[key] = costs.get(key, 0.0) + units
    short = buckets.admit(costs)
    if not short:
        return None
    if operation == "TransactWriteItems":
        return _transaction_cancelled(body, set(short), [key for key, _ in priced])
    table = _table(backend, short[0][0])
    resource = getattr(table, "table_arn", short[0][0])
    document = {
        "__type": f"{_TYPE_PREFIX}ProvisionedThroughputExceededException",
        "message": _MESSAGE,
        "ThrottlingReasons": [{"reason": _REASON, "resource": resource}],
    }
    return 400, {"Content-Type": _JSON}, json.dumps(document)


def _transaction_cancelled(body: dict[str, Any], short: set[PartitionKey], priced: list[PartitionKey]) -> Any:
    """One reason per item of the transaction, in order: ThrottlingError for those on a throttled key."""
    reasons, written = [], iter(priced)
    for entry in body.get("TransactItems", []):
        kind = next(iter(entry), "")
        if kind == "ConditionCheck":
            reasons.append({"Code": "None"})
            continue
        key = next(written, None)
        reasons.append({"Code": "ThrottlingError", "Message": _MESSAGE} if key in short else {"Code": "None"})
    codes = ", ".join(reason["Code"] for reason in reasons)
    document = {
        "__type": f"{_TYPE_PREFIX}TransactionCanceledException",
        "Message": f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
        "CancellationReasons": reasons,
    }
    return 400, {"Content-Type": _JSON}, json.dumps(document)


def _table(backend: Any, name: str) -> Any:
    try:
        return backend.get_table(name)
    except Exception:
        return None
