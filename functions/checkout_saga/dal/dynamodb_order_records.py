"""GET /orders/{id} reads three tables, GET /returns/{id} two: one BatchGetItem each instead of one GetItem per
table, because these are the endpoints clients poll while a saga runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from checkout_saga.dal.dynamodb_values import plain
from checkout_saga.dal.interfaces import OrderRecords, ReturnRecords
from checkout_saga.models import Order, Payment, ReturnRecord, SagaRecord

if TYPE_CHECKING:  # the stubs are a development dependency; the Lambda runtime does not need them
    from mypy_boto3_dynamodb.service_resource import DynamoDBServiceResource
    from mypy_boto3_dynamodb.type_defs import KeysAndAttributesServiceResourceUnionTypeDef

MAX_ROUNDS = 5  # DynamoDB may leave keys unprocessed under throttling: ask again for those, a few times


class UnprocessedKeys(RuntimeError):
    """The batch read kept leaving keys unprocessed."""


def read_one_per_table(
    dynamodb: DynamoDBServiceResource, keys: dict[str, dict[str, str]], what: str
) -> dict[str, dict[str, Any]]:
    """table name -> the item under its key (strongly consistent), for the tables that have one."""
    request: Mapping[str, KeysAndAttributesServiceResourceUnionTypeDef] = {
        table: {"Keys": [key], "ConsistentRead": True} for table, key in keys.items()
    }
    found: dict[str, dict[str, Any]] = {}
    for _ in range(MAX_ROUNDS):
        response = dynamodb.batch_get_item(RequestItems=request)
        for table, items in response.get("Responses", {}).items():
            if items:
                found[table] = plain(items[0])
        request = response.get("UnprocessedKeys") or {}
        if not request:
            return found
    raise UnprocessedKeys(f"{what}: {sorted(request)} still unprocessed after {MAX_ROUNDS} rounds")


class DynamoDBOrderRecords:
    def __init__(
        self, dynamodb: DynamoDBServiceResource, orders_table: str, payments_table: str, saga_log_table: str
    ) -> None:
        self._dynamodb = dynamodb  # a boto3 DynamoDB service resource
        self._orders, self._payments, self._saga_log = orders_table, payments_table, saga_log_table

    def read(self, order_id: str) -> OrderRecords:
        keys = {self._orders: {"orderId": order_id}, self._payments: {"orderId": order_id}}
        keys[self._saga_log] = {"sagaId": order_id}
        found = read_one_per_table(self._dynamodb, keys, f"order {order_id}")
        return OrderRecords(
            order=Order.model_validate(found[self._orders]) if self._orders in found else None,
            payment=Payment.model_validate(found[self._payments]) if self._payments in found else None,
            saga=SagaRecord.model_validate(found[self._saga_log]) if self._saga_log in found else None,
        )


class DynamoDBReturnRecords:
    def __init__(self, dynamodb: DynamoDBServiceResource, returns_table: str, return_saga_log_table: str) -> None:
        self._dynamodb = dynamodb
        self._returns, self._saga_log = returns_table, return_saga_log_table

    def read(self, return_id: str) -> ReturnRecords:
        keys = {self._returns: {"returnId": return_id}, self._saga_log: {"sagaId": return_id}}
        found = read_one_per_table(self._dynamodb, keys, f"return {return_id}")
        return ReturnRecords(
            record=ReturnRecord.model_validate(found[self._returns]) if self._returns in found else None,
            saga=SagaRecord.model_validate(found[self._saga_log]) if self._saga_log in found else None,
        )
