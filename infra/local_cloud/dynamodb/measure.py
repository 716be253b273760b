"""The measurements of the DynamoDB speed seams (``python -m local_cloud.measure``): the requests a saga makes of
its log, served by moto's server application over tables of a few hundred items.

- an UpdateItem that appends a transition to a log item (five SETs with if_not_exists and list_append, an ADD,
  a condition), as each step records itself;
- a GetItem of a log item with ten transitions;
- a Query of a status index, newest 20 first, over 1,000 items;
- a TransactWriteItems that takes stock, writes a reservation and appends to a log item, over tables of 500 items.
"""

from __future__ import annotations

import itertools
from typing import Any

from local_cloud.measure import InProcessTrial, Measurement, in_process

LOG, STOCK, RESERVATIONS = "measure-log", "measure-stock", "measure-reservations"
_APPENDS_PER_ROUND = 100
_READS_PER_ROUND = 200
_QUERIES_PER_ROUND = 60
_TRANSACTIONS_PER_ROUND = 60
_STATUSES = ("PENDING", "DONE", "UNDONE", "STUCK")
_APPEND = {
    "UpdateExpression": "SET #state = :state, updatedAt = :at, startedAt = if_not_exists(startedAt, :at), "
    "history = list_append(if_not_exists(history, :opening), :entry), #status = if_not_exists(#status, :status) "
    "ADD reached :reached",
    "ConditionExpression": "attribute_not_exists(reached) OR NOT contains(reached, :stateName)",
    "ExpressionAttributeNames": {"#state": "state", "#status": "status"},
}


def log_item(number: int, transitions: int = 4) -> dict[str, Any]:
    states = [f"STEP_{n}" for n in range(transitions)]
    at = f"2026-12-01T10:{number // 60 % 60:02d}:{number % 60:02d}.000Z"
    return {
        "id": {"S": f"saga-{number:06d}"},
        "state": {"S": states[-1]},
        "status": {"S": _STATUSES[number % len(_STATUSES)]},
        "startedAt": {"S": at},
        "updatedAt": {"S": at},
        "customerId": {"S": f"customer-{number % 37}"},
        "history": {"L": [{"M": {"state": {"S": state}, "at": {"S": at}}} for state in states]},
        "reached": {"SS": states},
    }


def _table(name: str, key: str, *, index: bool = False, key_type: str = "S") -> dict[str, Any]:
    definition: dict[str, Any] = {
        "TableName": name,
        "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": key, "AttributeType": key_type}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if index:
        definition["AttributeDefinitions"] += [
            {"AttributeName": "status", "AttributeType": "S"},
            {"AttributeName": "startedAt", "AttributeType": "S"},
        ]
        definition["GlobalSecondaryIndexes"] = [
            {
                "IndexName": "byStatus",
                "KeySchema": [
                    {"AttributeName": "status", "KeyType": "HASH"},
                    {"AttributeName": "startedAt", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ]
    return definition


class LogTrial(InProcessTrial):
    """A saga log of ``items`` items, with its status index."""

    def __init__(self, runner: Any, measurement: Measurement, items: int = 500) -> None:
        super().__init__(runner, measurement)
        self.dynamodb("CreateTable", _table(LOG, "id", index=True))
        for number in range(items):
            self.dynamodb("PutItem", {"TableName": LOG, "Item": log_item(number)})

    def dynamodb(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.app.call("dynamodb", f"DynamoDB_20120810.{operation}", body)


class AppendTransition(LogTrial):
    def before_round(self) -> None:
        for number in range(_APPENDS_PER_ROUND):  # the same items each round, as they were
            self.dynamodb("PutItem", {"TableName": LOG, "Item": log_item(number)})

    def round(self) -> int:
        for number in range(_APPENDS_PER_ROUND):
            at = {"S": "2026-12-01T11:00:00.000Z"}
            values = {
                ":state": {"S": "STEP_4"},
                ":at": at,
                ":opening": {"L": []},
                ":entry": {"L": [{"M": {"state": {"S": "STEP_4"}, "at": at}}]},
                ":status": {"S": "PENDING"},
                ":reached": {"SS": ["STEP_4"]},
                ":stateName": {"S": "STEP_4"},
            }
            key = {"id": {"S": f"saga-{number:06d}"}}
            self.dynamodb("UpdateItem", {"TableName": LOG, "Key": key, **_APPEND, "ExpressionAttributeValues": values})
        return _APPENDS_PER_ROUND


class GetLogItem(LogTrial):
    def __init__(self, runner: Any, measurement: Measurement) -> None:
        super().__init__(runner, measurement, items=1)
        self.dynamodb("PutItem", {"TableName": LOG, "Item": log_item(0, transitions=10)})

    def round(self) -> int:
        for _ in range(_READS_PER_ROUND):
            self.dynamodb("GetItem", {"TableName": LOG, "Key": {"id": {"S": "saga-000000"}}, "ConsistentRead": True})
        return _READS_PER_ROUND


class QueryNewest(LogTrial):
    def __init__(self, runner: Any, measurement: Measurement) -> None:
        super().__init__(runner, measurement, items=1000)

    def round(self) -> int:
        for _ in range(_QUERIES_PER_ROUND):
            self.dynamodb(
                "Query",
                {
                    "TableName": LOG,
                    "IndexName": "byStatus",
                    "KeyConditionExpression": "#s = :s",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": {":s": {"S": "DONE"}},
                    "ScanIndexForward": False,
                    "Limit": 20,
                },
            )
        return _QUERIES_PER_ROUND


class QueryPartition(InProcessTrial):
    """The read model's shape: one item per (customer, saga), 1,000 of them over 50 customers."""

    def __init__(self, runner: Any, measurement: Measurement) -> None:
        super().__init__(runner, measurement)
        keys = ("customerId", "sagaId")
        self.app.call(
            "dynamodb",
            "DynamoDB_20120810.CreateTable",
            {
                "TableName": "partitions",
                "KeySchema": [
                    {"AttributeName": name, "KeyType": kind} for name, kind in zip(keys, ("HASH", "RANGE"), strict=True)
                ],
                "AttributeDefinitions": [{"AttributeName": name, "AttributeType": "S"} for name in keys],
                "BillingMode": "PAY_PER_REQUEST",
            },
        )
        for number in range(1000):
            item = {"customerId": {"S": f"customer-{number % 50}"}, "sagaId": {"S": f"saga-{number:06d}"}}
            self.app.call("dynamodb", "DynamoDB_20120810.PutItem", {"TableName": "partitions", "Item": item})

    def round(self) -> int:
        for number in range(_QUERIES_PER_ROUND):
            query = {
                "KeyConditionExpression": "customerId = :c",
                "ExpressionAttributeValues": {":c": {"S": f"customer-{number % 50}"}},
            }
            self.app.call("dynamodb", "DynamoDB_20120810.Query", {"TableName": "partitions", **query})
        return _QUERIES_PER_ROUND


class ReserveTransaction(LogTrial):
    def __init__(self, runner: Any, measurement: Measurement) -> None:
        super().__init__(runner, measurement, items=500)
        self.dynamodb("CreateTable", _table(STOCK, "sku"))
        self.dynamodb("CreateTable", _table(RESERVATIONS, "id"))
        for number in range(500):
            item = {"sku": {"S": f"sku-{number:03d}"}, "available": {"N": str(10**9)}}
            self.dynamodb("PutItem", {"TableName": STOCK, "Item": item})
            self.dynamodb("PutItem", {"TableName": RESERVATIONS, "Item": {"id": {"S": f"old-{number}"}}})
        self._ids = itertools.count()

    def round(self) -> int:
        for _ in range(_TRANSACTIONS_PER_ROUND):
            number = next(self._ids)
            take = {
                "TableName": STOCK,
                "Key": {"sku": {"S": f"sku-{number % 500:03d}"}},
                "UpdateExpression": "SET available = available - :q",
                "ConditionExpression": "available >= :q",
                "ExpressionAttributeValues": {":q": {"N": "1"}},
            }
            reserve = {
                "TableName": RESERVATIONS,
                "Item": {"id": {"S": f"reservation-{number}"}, "quantity": {"N": "1"}},
                "ConditionExpression": "attribute_not_exists(id)",
            }
            note = {
                "TableName": LOG,
                "Key": {"id": {"S": f"saga-{number % 500:06d}"}},
                "UpdateExpression": "SET updatedAt = :at",
                "ExpressionAttributeValues": {":at": {"S": f"2026-12-01T12:00:00.{number % 1000:03d}Z"}},
            }
            self.dynamodb(
                "TransactWriteItems", {"TransactItems": [{"Update": take}, {"Put": reserve}, {"Update": note}]}
            )
        return _TRANSACTIONS_PER_ROUND


_APPEND_TEXT = "UpdateItem appending a transition to a log item"
MEASUREMENTS = [
    Measurement(
        "update_expression_cache",
        _APPEND_TEXT,
        "moto.dynamodb.parsing.expressions.UpdateExpressionParser.make",
        in_process(AppendTransition),
    ),
    Measurement(
        "static_check_cache",
        _APPEND_TEXT,
        "moto.dynamodb.parsing.validators.UpdateExpressionValidator.validate",
        in_process(AppendTransition),
    ),
    Measurement(
        "condition_expression_cache",
        _APPEND_TEXT,
        "moto.dynamodb.comparisons.ConditionExpressionParser.parse",
        in_process(AppendTransition),
    ),
    Measurement(
        "fast_traversal",
        _APPEND_TEXT,
        "moto.dynamodb.parsing.ast_nodes.DepthFirstTraverser.traverse",
        in_process(AppendTransition),
    ),
    Measurement(
        "fast_ast_copy",
        _APPEND_TEXT,
        "moto.dynamodb.parsing.validators.deepcopy",
        in_process(AppendTransition),
    ),
    Measurement(
        "fast_json_results",
        "GetItem of a log item with 10 transitions",
        "moto.dynamodb.responses.DynamoResult.execute_result",
        in_process(GetLogItem),
    ),
    Measurement(
        "indexed_queries",
        "Query of a status index, newest 20, 1,000 items in 4 statuses",
        "moto.dynamodb.models.table.Table.query",
        in_process(QueryNewest),
    ),
    Measurement(
        "indexed_queries",
        "Query of one customer's 20 items by the table's own key, 1,000 items in 50 partitions",
        "moto.dynamodb.models.table.Table.query",
        in_process(QueryPartition),
    ),
    Measurement(
        "item_level_transactions",
        "TransactWriteItems of 3 items (stock, reservation, log) over tables of 500 items",
        "moto.dynamodb.models.DynamoDBBackend.transact_write_items",
        in_process(ReserveTransaction),
    ),
]
