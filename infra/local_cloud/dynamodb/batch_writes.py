"""BatchWriteItem refused as a whole, as DynamoDB refuses it (seam `atomic_batch_writes`, docs/local-cloud-seams.md).

DynamoDB validates a whole BatchWriteItem before it writes anything: a request that breaks a rule writes none of
its items. moto writes its items one by one and stops at the first it refuses, the items before it written; and
of the request's own rules it checks only that no two puts hold the same whole item, or two deletes the same key,
over all its tables at once (so the same item put in two tables, which DynamoDB accepts, is refused). Here, before
moto runs:

- more than 25 requests for one table, or in all, are refused with DynamoDB's messages;
- two requests for one item of a table (two puts with the same key, whatever their other attributes, or a put and
  a delete) are refused (``Provided list of item keys contains duplicates``);

then moto writes each table's requests in turn (its check of duplicates sees one table at a time); and whatever
moto then refuses (an item over 400 KB, a key attribute missing or of the wrong type) leaves every
item as it was, with no stream record: the items the request names are snapshot first and put back on failure,
as item_level_transactions does for a transaction (dynamodb/item_rollback.py)."""

from __future__ import annotations

import json
from typing import Any

from local_cloud.dynamodb.item_rollback import key_of, restore, snapshot, stream_lengths, unstream
from local_cloud.seams import Installation, SeamChanged, replace, require_signature, require_source

MAX_REQUESTS = 25  # per BatchWriteItem, over all its tables
TOO_MANY = "Too many items requested for the BatchWriteItem call"
DUPLICATES = "Provided list of item keys contains duplicates"
TABLE_CONSTRAINT = (
    "1 validation error detected: Value '{{{table}=[{count} write requests]}}' at 'requestItems' failed to "
    "satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, "
    "Member must have length greater than or equal to 1]"
)


def install_atomic_batch_writes() -> Installation:
    from moto.core.responses import ActionResult
    from moto.dynamodb.exceptions import MockValidationException
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.__dict__.get("batch_write_item")
    if original is None:
        raise SeamChanged("moto.dynamodb.responses.DynamoHandler.batch_write_item is gone: moto changed this seam")
    require_signature(original, ["self"], "DynamoHandler.batch_write_item")
    require_source(
        original, ['table_batches = self.body["RequestItems"]', '"UnprocessedItems": {}'], "batch_write_item"
    )

    def batch_write_item(self: Any) -> Any:
        body = self.body
        requests = body.get("RequestItems") or {}
        backend = self.dynamodb_backend
        refusal = refusal_of(backend, requests)
        if refusal is not None:
            raise MockValidationException(refusal)
        saved = snapshot(backend, as_transaction_items(requests))
        streamed = stream_lengths(saved)
        try:
            for table_name, table_requests in requests.items():
                self.body = {**body, "RequestItems": {table_name: table_requests}}
                original(self)
        except BaseException:
            restore(saved)
            unstream(streamed)
            raise
        finally:
            self.body = body
        return ActionResult(
            {  # moto's answer for the whole request
                "ConsumedCapacity": [
                    {"TableName": name, "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}} for name in requests
                ],
                "ItemCollectionMetrics": {},
                "UnprocessedItems": {},
            }
        )

    return Installation([replace(DynamoHandler, "batch_write_item", batch_write_item)])


def refusal_of(backend: Any, requests: dict[str, list[dict[str, Any]]]) -> str | None:
    """DynamoDB's message for a BatchWriteItem it refuses before writing, or None."""
    for table_name, table_requests in requests.items():
        if len(table_requests) > MAX_REQUESTS:
            return TABLE_CONSTRAINT.format(table=table_name, count=len(table_requests))
    if sum(len(table_requests) for table_requests in requests.values()) > MAX_REQUESTS:
        return TOO_MANY
    keys: list[str] = []  # one per write, with its table
    for write in as_transaction_items(requests):
        [(op_type, op)] = write.items()
        table = backend.tables.get(op["TableName"])
        if table is None:
            continue  # moto refuses it (ResourceNotFoundException) before writing
        # an incomplete key: moto refuses that request, and nothing stays written
        key = key_of(table, op_type, op)
        if key is not None:
            keys.append(json.dumps([op["TableName"], key], sort_keys=True))
    return DUPLICATES if len(set(keys)) < len(keys) else None


def as_transaction_items(requests: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The batch's writes in TransactItems' shape, the shape item_rollback snapshots."""
    items: list[dict[str, Any]] = []
    for table_name, table_requests in requests.items():
        for request in table_requests:
            if "PutRequest" in request:
                items.append({"Put": {"TableName": table_name, "Item": request["PutRequest"].get("Item") or {}}})
            elif "DeleteRequest" in request:
                items.append({"Delete": {"TableName": table_name, "Key": request["DeleteRequest"].get("Key")}})
    return items
