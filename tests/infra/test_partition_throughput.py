"""dynamodb.partition_throughput: writes to one partition key beyond its write units per second are throttled
as DynamoDB throttles a hot key (the exception, its reason, a cancelled transaction's ThrottlingError), counted as
DynamoDB counts units, other keys untouched, and boto3's own retries get the write through."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from local_cloud.dynamodb import patches as dynamodb_patches
from local_cloud.dynamodb.partition_throughput import (
    AWS_PARTITION_WCU,
    LIMIT_VARIABLE,
    PartitionBuckets,
    partition_wcu_limit,
)
from local_cloud.usage_meter import USAGE

NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


class FrozenClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ddb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv(LIMIT_VARIABLE, "4")
    with mock_aws(), dynamodb_patches.install_all():
        clock = FrozenClock()
        dynamodb_patches.PARTITIONS[-1]._clock = clock  # time stands still unless a test moves it
        client = boto3.client("dynamodb", region_name="us-east-1", config=NO_RETRIES)
        client.create_table(
            TableName="stock",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
        client.clock = clock  # type: ignore[attr-defined]
        yield client


def _add(client: Any, pk: str) -> None:
    client.update_item(
        TableName="stock",
        Key={"pk": {"S": pk}},
        UpdateExpression="ADD available :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )


def _available(client: Any, pk: str) -> int:
    return int(client.get_item(TableName="stock", Key={"pk": {"S": pk}})["Item"]["available"]["N"])


def test_the_limit_defaults_to_aws_and_refuses_nonsense(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LIMIT_VARIABLE, raising=False)
    assert partition_wcu_limit() == AWS_PARTITION_WCU == 1000
    monkeypatch.setenv(LIMIT_VARIABLE, "0")
    with pytest.raises(ValueError, match=LIMIT_VARIABLE):
        partition_wcu_limit()
    monkeypatch.setenv(LIMIT_VARIABLE, "many")
    with pytest.raises(ValueError, match="not 'many'"):
        partition_wcu_limit()


def test_a_hot_key_is_throttled_with_dynamodbs_exception_and_reason(ddb: Any) -> None:
    for _ in range(4):  # 1 unit each: the second's worth of the limit
        _add(ddb, "hot")
    with pytest.raises(ClientError) as refused:
        _add(ddb, "hot")
    error = refused.value.response
    assert error["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert error["ThrottlingReasons"][0]["reason"] == "TableWriteKeyRangeThroughputExceeded"
    assert _available(ddb, "hot") == 4  # the refused write wrote nothing
    _add(ddb, "cold")  # another partition key has its own throughput
    ddb.clock.now += 0.5  # half a second refills half the limit
    _add(ddb, "hot")
    _add(ddb, "hot")
    with pytest.raises(ClientError):
        _add(ddb, "hot")
    assert _available(ddb, "hot") == 6
    assert any(row["throttled"] >= 2 for row in USAGE.snapshot()["dynamodb"] if row["operation"] == "UpdateItem")


def test_units_follow_item_size_and_transactions_count_twice(ddb: Any) -> None:
    ddb.put_item(TableName="stock", Item={"pk": {"S": "big"}, "blob": {"S": "x" * 2500}})  # 3 KB: 3 units
    with pytest.raises(ClientError, match="ProvisionedThroughputExceeded"):
        _add(ddb, "big")  # 3 more units: 6 > 4
    ddb.clock.now += 10
    transaction = [
        {
            "Update": {
                "TableName": "stock",
                "Key": {"pk": {"S": "t"}},
                "UpdateExpression": "ADD available :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        },
        {"Put": {"TableName": "stock", "Item": {"pk": {"S": "other"}}}},
    ]
    ddb.transact_write_items(TransactItems=transaction)  # 2 units on each key
    ddb.transact_write_items(TransactItems=transaction)  # 4: the whole second
    with pytest.raises(ClientError) as refused:
        ddb.transact_write_items(TransactItems=transaction)
    error = refused.value.response
    assert error["Error"]["Code"] == "TransactionCanceledException"
    assert [reason["Code"] for reason in error["CancellationReasons"]] == ["ThrottlingError", "ThrottlingError"]
    assert _available(ddb, "t") == 2


def test_a_bucket_refills_at_the_limit_and_a_refusal_takes_nothing() -> None:
    clock = FrozenClock()
    buckets = PartitionBuckets(2, clock)
    key = ("stock", '{"S": "hot"}')
    assert buckets.admit({key: 2}) == []
    assert buckets.admit({key: 1}) == [key]
    clock.now += 0.5
    assert buckets.admit({key: 1}) == []
    assert buckets.throttled == 1


def test_the_sdk_retries_a_throttled_write_until_the_partition_has_room(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LIMIT_VARIABLE, "20")
    with mock_aws(), dynamodb_patches.install_all():
        client = boto3.client("dynamodb", region_name="us-east-1")  # the default (legacy) retries, as in Lambda
        client.create_table(
            TableName="stock",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
        before = dynamodb_patches.PARTITIONS[-1].throttled
        for _ in range(30):
            _add(client, "hot")
        assert _available(client, "hot") == 30
        assert dynamodb_patches.PARTITIONS[-1].throttled > before


def test_the_lowered_limit_holds_for_the_named_tables_only_the_others_keeping_awss() -> None:
    clock = FrozenClock()
    buckets = PartitionBuckets(2, clock, tables=("sale-Inventory*",))
    hot, own = ("sale-InventoryTable-1A2B", '{"S": "hot"}'), ("sale-SagaLogTable-3C4D", '{"S": "o-1"}')
    assert buckets.admit({hot: 2}) == []
    assert buckets.admit({hot: 1}) == [hot]  # the named table: 2 units a second
    assert all(buckets.admit({own: 10}) == [] for _ in range(50))  # another: AWS's 1,000 units a second
    assert buckets.admit({own: 600}) == [own]
    assert (buckets.limit_of(hot[0]), buckets.limit_of(own[0])) == (2, AWS_PARTITION_WCU)
