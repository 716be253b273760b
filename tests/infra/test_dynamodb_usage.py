"""The DynamoDB capacity rules (dynamodb.capacity) and the metering seam (dynamodb.usage): what a request
served by moto would consume on AWS, from the sizes of the items it reads and writes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from local_cloud.dynamodb import patches as dynamodb_patches
from local_cloud.dynamodb.capacity import index_writes, item_size, number_size, read_units, write_units
from local_cloud.usage_meter import USAGE, UsageMeter


def test_item_size_counts_names_and_values_as_dynamodb_does() -> None:
    assert item_size({"pk": {"S": "abc"}}) == 2 + 3
    assert item_size({"n": {"N": "1999"}}) == 1 + 3  # 4 significant digits: 2 bytes + 1
    assert item_size({"ok": {"BOOL": True}, "x": {"NULL": True}}) == 2 + 1 + 1 + 1
    assert item_size({"m": {"M": {"a": {"N": "1"}}}}) == 1 + 3 + (1 + 1 + 2)
    assert item_size({"l": {"L": [{"S": "ab"}, {"S": "c"}]}}) == 1 + 3 + (1 + 2) + (1 + 1)
    assert item_size({"s": {"SS": ["ab", "cde"]}}) == 1 + 5
    assert item_size({"b": {"B": "AAEC"}}) == 1 + 3  # base64 of 3 bytes
    assert item_size({"é": {"S": "é"}}) == 2 + 2  # UTF-8 bytes, not characters
    assert item_size(None) == 0


@pytest.mark.parametrize(
    ("text", "size"),
    [("0", 2), ("7", 2), ("100", 2), ("0.05", 2), ("12345", 4), ("-12", 3), ("1.50", 2), ("123456789012", 7)],
)
def test_number_size_is_one_byte_per_two_significant_digits_plus_one(text: str, size: int) -> None:
    assert number_size(text) == size


def test_write_units_round_the_larger_size_up_to_kilobytes() -> None:
    assert write_units(0, 10) == 1
    assert write_units(1024, 10) == 1
    assert write_units(10, 1025) == 2
    assert write_units(3000, 100, transactional=True) == 6


def test_read_units_round_up_to_4kb_halved_when_eventually_consistent() -> None:
    assert read_units(0, consistent=True) == 1.0  # a missing item still costs one read
    assert read_units(4096, consistent=True) == 1.0
    assert read_units(4097, consistent=True) == 2.0
    assert read_units(4097, consistent=False) == 1.0
    assert read_units(100, consistent=True, transactional=True) == 2.0


def test_index_writes_follow_the_item_in_and_out_of_the_index() -> None:
    keys = ("status",)
    pending, confirmed = {"status": {"S": "PENDING"}}, {"status": {"S": "CONFIRMED"}}
    assert index_writes(None, pending, keys, 100) == 1  # enters
    assert index_writes(pending, None, keys, 100) == 1  # leaves
    assert index_writes(pending, confirmed, keys, 100) == 2  # key changed: delete + put
    assert index_writes(pending, {**pending, "x": {"N": "1"}}, keys, 2000) == 2  # changed in place, 2 KB
    assert index_writes(pending, pending, keys, 100) == 0
    assert index_writes({"x": {"N": "1"}}, {"x": {"N": "2"}}, keys, 100) == 0  # never in the index


def test_the_meter_adds_by_caller_and_operation() -> None:
    meter = UsageMeter()
    meter.add_dynamodb("fn", "GetItem", 1.0, 0.0)
    meter.add_dynamodb("fn", "GetItem", 0.5, 0.0)
    meter.add_lambda("fn", 10.2, 256)
    snapshot = meter.snapshot()
    assert snapshot["dynamodb"] == [
        {"caller": "fn", "operation": "GetItem", "requests": 2, "readUnits": 1.5, "writeUnits": 0.0, "throttled": 0}
    ]
    assert snapshot["lambda"] == [
        {"function": "fn", "requests": 1, "billedMs": 11, "gbSeconds": 0.25 * 0.011, "memoryMb": 256}
    ]


# -- the seam, on moto's real tables -------------------------------------------------------------------


@pytest.fixture
def ddb() -> Iterator[Any]:
    with mock_aws(), dynamodb_patches.install_all():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="log",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("sagaId", "status")],
            KeySchema=[{"AttributeName": "sagaId", "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "byStatus",
                    "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
        yield client


def _consumed(call: Any) -> tuple[int, float, float]:
    """(requests, read units, write units) the admin's calls in `call` consumed."""

    def totals() -> tuple[int, float, float]:
        rows = [row for row in USAGE.snapshot()["dynamodb"] if row["caller"] == "admin"]
        return (
            sum(r["requests"] for r in rows),
            sum(r["readUnits"] for r in rows),
            sum(r["writeUnits"] for r in rows),
        )

    before = totals()
    call()
    after = totals()
    return (after[0] - before[0], after[1] - before[1], after[2] - before[2])


def _item(saga: str, status: str, padding: int) -> dict[str, Any]:
    return {"sagaId": {"S": saga}, "status": {"S": status}, "pad": {"S": "x" * padding}}


def test_writes_are_metered_from_item_sizes_including_the_index(ddb: Any) -> None:
    # 1.5 KB: 2 units in the table and 2 in the index it enters.
    assert _consumed(lambda: ddb.put_item(TableName="log", Item=_item("a", "PENDING", 1500))) == (1, 0.0, 4.0)
    # The index key changes: 2 units in the table, a delete and a put of 2 units each in the index.
    update = {
        "TableName": "log",
        "Key": {"sagaId": {"S": "a"}},
        "UpdateExpression": "SET #s = :s",
        "ExpressionAttributeNames": {"#s": "status"},
        "ExpressionAttributeValues": {":s": {"S": "DONE"}},
    }
    assert _consumed(lambda: ddb.update_item(**update)) == (1, 0.0, 6.0)
    # A refused condition still consumes the write (the stored item's size), not the index.
    refused = {**update, "ConditionExpression": "attribute_not_exists(sagaId)"}

    def refuse() -> None:
        with pytest.raises(ClientError, match="ConditionalCheckFailed"):
            ddb.update_item(**refused)

    assert _consumed(refuse) == (1, 0.0, 2.0)


def test_transactions_cost_two_units_per_kilobyte(ddb: Any) -> None:
    items = [{"Put": {"TableName": "log", "Item": _item(name, "PENDING", 100)}} for name in ("t1", "t2")]
    # Each item: 2 transactional units in the table + 1 in the index.
    assert _consumed(lambda: ddb.transact_write_items(TransactItems=items)) == (1, 0.0, 6.0)


def test_reads_are_metered_by_consistency_and_size(ddb: Any) -> None:
    ddb.put_item(TableName="log", Item=_item("r", "PENDING", 5000))
    strong = {"TableName": "log", "Key": {"sagaId": {"S": "r"}}, "ConsistentRead": True}
    assert _consumed(lambda: ddb.get_item(**strong)) == (1, 2.0, 0.0)  # 5 KB: 2 units
    assert _consumed(lambda: ddb.get_item(**{**strong, "ConsistentRead": False})) == (1, 1.0, 0.0)
    missing = {**strong, "Key": {"sagaId": {"S": "nothing"}}}
    assert _consumed(lambda: ddb.get_item(**missing)) == (1, 1.0, 0.0)
    batch = {"log": {"Keys": [{"sagaId": {"S": "r"}}, {"sagaId": {"S": "nothing"}}], "ConsistentRead": True}}
    assert _consumed(lambda: ddb.batch_get_item(RequestItems=batch)) == (1, 3.0, 0.0)
    query = {
        "TableName": "log",
        "IndexName": "byStatus",
        "KeyConditionExpression": "#s = :s",
        "ExpressionAttributeNames": {"#s": "status"},
        "ExpressionAttributeValues": {":s": {"S": "PENDING"}},
    }
    assert _consumed(lambda: ddb.query(**query)) == (1, 1.0, 0.0)  # 5 KB, eventually consistent (an index)
