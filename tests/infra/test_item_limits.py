"""Seam `item_limits`: DynamoDB refuses an empty key attribute in every item operation, and an update that leaves an
item over 400 KB, whatever the update's form; a refused update leaves the item (or its absence) and the stream as
they were. moto alone accepts each of these (the last test shows it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from local_cloud.dynamodb import patches as dynamodb_patches
from local_cloud.dynamodb.item_limits import ITEM_SIZE_LIMIT

Client = Any
EMPTY_KEY = (
    "One or more parameter values are not valid. "
    "The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"
)
TOO_LARGE = "Item size to update has exceeded the maximum allowed size"
TABLE = "cart"


def _table(client: Client) -> None:
    client.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )


@pytest.fixture
def ddb() -> Iterator[Client]:
    with mock_aws(), dynamodb_patches.install_all():
        client = boto3.client("dynamodb", region_name="us-east-1")
        _table(client)
        yield client


def _refusal(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as refused:
        call()
    return refused.value.response["Error"]["Code"], refused.value.response["Error"]["Message"]


def _stream_records() -> int:
    from moto.dynamodb.models import dynamodb_backends

    return len(dynamodb_backends["123456789012"]["us-east-1"].tables[TABLE].stream_shard.items)


def _strings(prefix: str, count: int, length: int = 1000) -> list[str]:
    return [f"{prefix}{n:04d}".ljust(length, "x") for n in range(count)]


def test_a_key_attribute_may_not_be_empty_in_any_item_operation(ddb: Client) -> None:
    empty = {"pk": {"S": ""}}
    set_a = {"UpdateExpression": "SET a = :a", "ExpressionAttributeValues": {":a": {"S": "x"}}}
    calls = {
        "UpdateItem": lambda: ddb.update_item(TableName=TABLE, Key=empty, **set_a),
        "DeleteItem": lambda: ddb.delete_item(TableName=TABLE, Key=empty),
        "BatchGetItem": lambda: ddb.batch_get_item(RequestItems={TABLE: {"Keys": [empty]}}),
        "a transaction's Delete": lambda: ddb.transact_write_items(
            TransactItems=[{"Delete": {"TableName": TABLE, "Key": empty}}]
        ),
        "a transaction's ConditionCheck": lambda: ddb.transact_write_items(
            TransactItems=[
                {"ConditionCheck": {"TableName": TABLE, "Key": empty, "ConditionExpression": "attribute_exists(a)"}}
            ]
        ),
    }
    for operation, call in calls.items():
        assert _refusal(call) == ("ValidationException", EMPTY_KEY), operation

    assert ddb.scan(TableName=TABLE)["Items"] == []  # moto alone stored an item under the empty key
    assert _stream_records() == 0


def test_an_add_that_outgrows_400_kb_is_refused_and_leaves_the_item_and_its_stream_as_they_were(ddb: Client) -> None:
    key = {"pk": {"S": "cart-1"}}
    ddb.update_item(
        TableName=TABLE,
        Key=key,
        UpdateExpression="SET quantity = :t ADD skus :s",
        ExpressionAttributeValues={":t": {"N": "3"}, ":s": {"SS": _strings("a", 300)}},
    )
    before, streamed = ddb.get_item(TableName=TABLE, Key=key)["Item"], _stream_records()

    outgrow = {
        "UpdateExpression": "SET quantity = :t ADD skus :s",
        "ExpressionAttributeValues": {":t": {"N": "4"}, ":s": {"SS": _strings("b", 150)}},
    }
    assert _refusal(lambda: ddb.update_item(TableName=TABLE, Key=key, **outgrow)) == ("ValidationException", TOO_LARGE)

    assert ddb.get_item(TableName=TABLE, Key=key)["Item"] == before  # neither the set nor the SET beside it
    assert _stream_records() == streamed
    ddb.update_item(  # the item stays usable: a smaller ADD goes through
        TableName=TABLE,
        Key=key,
        UpdateExpression="ADD skus :s",
        ExpressionAttributeValues={":s": {"SS": _strings("c", 50)}},
    )
    assert len(ddb.get_item(TableName=TABLE, Key=key)["Item"]["skus"]["SS"]) == 350


def test_an_update_that_would_create_an_item_over_400_kb_leaves_none(ddb: Client) -> None:
    key = {"pk": {"S": "cart-2"}}
    create = {"UpdateExpression": "ADD skus :s", "ExpressionAttributeValues": {":s": {"SS": _strings("a", 450)}}}

    assert _refusal(lambda: ddb.update_item(TableName=TABLE, Key=key, **create)) == ("ValidationException", TOO_LARGE)

    assert "Item" not in ddb.get_item(TableName=TABLE, Key=key)
    assert _stream_records() == 0


def test_an_update_in_a_transaction_that_outgrows_400_kb_cancels_it_all(ddb: Client) -> None:
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "cart-3"}, "skus": {"SS": _strings("a", 300)}})
    streamed = _stream_records()
    grow = {
        "TableName": TABLE,
        "Key": {"pk": {"S": "cart-3"}},
        "UpdateExpression": "ADD skus :s",
        "ExpressionAttributeValues": {":s": {"SS": _strings("b", 150)}},
    }
    other = {"TableName": TABLE, "Item": {"pk": {"S": "cart-4"}}}

    with pytest.raises(ClientError) as cancelled:
        ddb.transact_write_items(TransactItems=[{"Put": other}, {"Update": grow}])

    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert cancelled.value.response["CancellationReasons"] == [
        {"Code": "None"},
        {"Code": "ValidationError", "Message": TOO_LARGE},
    ]

    assert len(ddb.get_item(TableName=TABLE, Key={"pk": {"S": "cart-3"}})["Item"]["skus"]["SS"]) == 300
    assert "Item" not in ddb.get_item(TableName=TABLE, Key={"pk": {"S": "cart-4"}})
    assert _stream_records() == streamed


def test_the_limit_is_400_kb_to_the_byte(ddb: Client) -> None:
    key = {"pk": {"S": "cart-5"}}
    ddb.put_item(TableName=TABLE, Item={**key, "note": {"S": "n" * 300_000}})
    used = len("pk") + len("cart-5") + len("note") + 300_000 + len("skus")
    fill = {"UpdateExpression": "ADD skus :s", "ExpressionAttributeValues": {":s": {"SS": _strings("a", 100, 1000)}}}
    ddb.update_item(TableName=TABLE, Key=key, **fill)  # 100,000 bytes more: 400,016 in all
    last = ITEM_SIZE_LIMIT - used - 100_000
    exact = {"UpdateExpression": "ADD skus :s", "ExpressionAttributeValues": {":s": {"SS": ["z" * last]}}}
    ddb.update_item(TableName=TABLE, Key=key, **exact)  # 409,600 bytes: the limit itself
    one_more = {"UpdateExpression": "ADD skus :s", "ExpressionAttributeValues": {":s": {"SS": ["y"]}}}

    assert _refusal(lambda: ddb.update_item(TableName=TABLE, Key=key, **one_more)) == ("ValidationException", TOO_LARGE)
    assert len(ddb.get_item(TableName=TABLE, Key=key)["Item"]["skus"]["SS"]) == 101


def test_moto_alone_accepts_each_of_them() -> None:
    """Why the seam exists: without it moto stores an item under an empty key and lets an ADD grow an item past
    400 KB (when this fails, moto enforces them itself: the seam can go)."""
    with mock_aws(), dynamodb_patches.install_all(without={"item_limits"}):
        client = boto3.client("dynamodb", region_name="us-east-1")
        _table(client)
        client.update_item(
            TableName=TABLE,
            Key={"pk": {"S": ""}},
            UpdateExpression="SET a = :a",
            ExpressionAttributeValues={":a": {"S": "x"}},
        )
        client.update_item(
            TableName=TABLE,
            Key={"pk": {"S": "big"}},
            UpdateExpression="ADD skus :s",
            ExpressionAttributeValues={":s": {"SS": _strings("a", 450)}},
        )
        assert sorted(item["pk"]["S"] for item in client.scan(TableName=TABLE)["Items"]) == ["", "big"]
