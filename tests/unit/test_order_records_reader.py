"""The batch read behind GET /orders/{id}: keys DynamoDB leaves unprocessed are asked for again, and a read
that keeps leaving some fails loudly instead of answering with a record missing. (The read itself, against
moto's DynamoDB, is exercised by every GET /orders/{id} test in tests/api.)"""

from typing import Any, cast

import pytest

from checkout_saga.dal.dynamodb_order_records import MAX_ROUNDS, DynamoDBOrderRecords, UnprocessedKeys

ORDER = {
    "orderId": "o-1",
    "customerId": "c-1",
    "status": "PENDING",
    "items": [{"sku": "KB-001", "quantity": 1, "unitPriceCents": 100}],
    "totalCents": 100,
    "createdAt": "2026-11-22T10:00:00.000Z",
    "updatedAt": "2026-11-22T10:00:00.000Z",
}


class ThrottledDynamoDB:
    """Answers the orders table at once and leaves the saga log unprocessed `throttled` times."""

    def __init__(self, throttled: int) -> None:
        self.throttled = throttled
        self.requests: list[dict[str, Any]] = []

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803 (boto3's name)
        self.requests.append(RequestItems)
        responses = {"orders": [ORDER]} if "orders" in RequestItems else {}
        if "sagas" in RequestItems and self.throttled:
            self.throttled -= 1
            return {"Responses": responses, "UnprocessedKeys": {"sagas": RequestItems["sagas"]}}
        return {"Responses": {**responses, "payments": [], "sagas": []}, "UnprocessedKeys": {}}


def test_unprocessed_keys_are_asked_for_again():
    dynamodb = ThrottledDynamoDB(throttled=2)

    records = DynamoDBOrderRecords(cast(Any, dynamodb), "orders", "payments", "sagas").read("o-1")

    assert records.order is not None
    assert records.order.customer_id == "c-1"
    assert (records.payment, records.saga) == (None, None)
    assert [sorted(request) for request in dynamodb.requests] == [["orders", "payments", "sagas"], ["sagas"], ["sagas"]]
    assert all(keys["ConsistentRead"] for request in dynamodb.requests for keys in request.values())


def test_keys_left_unprocessed_every_time_fail_loudly():
    throttled = cast(Any, ThrottledDynamoDB(throttled=MAX_ROUNDS))
    with pytest.raises(UnprocessedKeys, match="order o-1: \\['sagas'\\] still unprocessed"):
        DynamoDBOrderRecords(throttled, "orders", "payments", "sagas").read("o-1")
