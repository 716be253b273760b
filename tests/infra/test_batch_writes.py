"""Seam `atomic_batch_writes`: a BatchWriteItem that DynamoDB refuses writes none of its items, whichever item or
rule it is refused for (an item over 400 KB after others, two requests for one item, more than 25 requests), and
leaves the stream and the GSI index as they were. moto alone writes the items before a refused one, and accepts
the request-level breaches (the last test shows it)."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from local_cloud.dynamodb import patches as dynamodb_patches
from local_cloud.dynamodb.batch_writes import DUPLICATES, TOO_MANY

Client = Any
TABLE, OTHER = "summaries", "other"
TOO_LARGE_VALUE = "x" * (401 * 1024)


def _tables(client: Client) -> None:
    for name in (TABLE, OTHER):
        client.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "kind", "AttributeType": "S"},
            ],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by-kind",
                    "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )


def _cloud(without: tuple[str, ...] = ()) -> Iterator[Client]:
    with mock_aws(), dynamodb_patches.install_all(without=without):
        client = boto3.client("dynamodb", region_name="us-east-1")
        _tables(client)
        yield client


@pytest.fixture
def ddb() -> Iterator[Client]:
    yield from _cloud()


@pytest.fixture
def moto_alone() -> Iterator[Client]:
    yield from _cloud(without=("atomic_batch_writes",))


def _item(sk: str, **more: str) -> dict[str, Any]:
    return {"pk": {"S": "c-1"}, "sk": {"S": sk}, "kind": {"S": "event"}, **{k: {"S": v} for k, v in more.items()}}


def _put(item: dict[str, Any]) -> dict[str, Any]:
    return {"PutRequest": {"Item": item}}


def _delete(sk: str) -> dict[str, Any]:
    return {"DeleteRequest": {"Key": {"pk": {"S": "c-1"}, "sk": {"S": sk}}}}


def _refusal(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as refused:
        call()
    return refused.value.response["Error"]["Code"], refused.value.response["Error"]["Message"]


def _stream_records(table: str = TABLE) -> int:
    from moto.dynamodb.models import dynamodb_backends

    return len(dynamodb_backends["123456789012"]["us-east-1"].tables[table].stream_shard.items)


def _state(client: Client) -> tuple[list[Any], list[Any], int]:
    """The table's items, what its GSI answers, and its stream's length."""
    items = client.scan(TableName=TABLE)["Items"]
    indexed = client.query(
        TableName=TABLE,
        IndexName="by-kind",
        KeyConditionExpression="kind = :k",
        ExpressionAttributeValues={":k": {"S": "event"}},
    )["Items"]
    key = lambda item: item["sk"]["S"]  # noqa: E731
    return sorted(items, key=key), sorted(indexed, key=key), _stream_records()


def _batches() -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Batches DynamoDB refuses whole, each writing (on moto alone) or deleting something before its refused part."""
    return {
        "an item over 400 KB after two others": {
            TABLE: [_put(_item("a#new")), _delete("a#old"), _put(_item("z#big", blob=TOO_LARGE_VALUE))]
        },
        "two puts of one item": {TABLE: [_put(_item("b#1", fact="one")), _put(_item("b#1", fact="two"))]},
        "a put and a delete of one item": {TABLE: [_put(_item("a#old", fact="again")), _delete("a#old")]},
        "26 requests for one table": {TABLE: [_put(_item(f"c#{n:02d}")) for n in range(26)]},
        "26 requests in all": {
            TABLE: [_put(_item(f"d#{n:02d}")) for n in range(13)],
            OTHER: [_put(_item(f"e#{n:02d}")) for n in range(13)],
        },
    }


def test_a_refused_batch_writes_none_of_its_items_and_leaves_stream_and_index_as_they_were(ddb: Client) -> None:
    ddb.put_item(TableName=TABLE, Item=_item("a#old", fact="kept"))
    before = _state(ddb)
    expected = {
        "an item over 400 KB after two others": ("ValidationException", "Item size has exceeded the maximum allowed"),
        "two puts of one item": ("ValidationException", DUPLICATES),
        "a put and a delete of one item": ("ValidationException", DUPLICATES),
        "26 requests for one table": ("ValidationException", "Member must have length less than or equal to 25"),
        "26 requests in all": ("ValidationException", TOO_MANY),
    }

    for name, batch in _batches().items():
        code, message = _refusal(functools.partial(ddb.batch_write_item, RequestItems=batch))
        assert code == expected[name][0], name
        assert expected[name][1] in message, name
        assert _state(ddb) == before, name
        assert ddb.scan(TableName=OTHER)["Items"] == [], name


def test_an_accepted_batch_puts_and_deletes_every_item(ddb: Client) -> None:
    ddb.put_item(TableName=TABLE, Item=_item("a#old"))
    batch = {TABLE: [_put(_item("b#1")), _put(_item("b#2")), _delete("a#old")], OTHER: [_put(_item("b#1"))]}

    assert ddb.batch_write_item(RequestItems=batch)["UnprocessedItems"] == {}

    items, indexed, streamed = _state(ddb)
    assert [item["sk"]["S"] for item in items] == [item["sk"]["S"] for item in indexed] == ["b#1", "b#2"]
    assert streamed == 4  # the first put, then the batch's three writes
    assert [item["sk"]["S"] for item in ddb.scan(TableName=OTHER)["Items"]] == ["b#1"]  # moto alone: "duplicates"


def test_moto_alone_writes_part_of_each_refused_batch_or_accepts_it_and_refuses_one_item_in_two_tables(
    moto_alone: Client,
) -> None:
    moto_alone.put_item(TableName=TABLE, Item=_item("a#old", fact="kept"))
    before = _state(moto_alone)
    changed = []
    for name, batch in _batches().items():
        with contextlib.suppress(ClientError):
            moto_alone.batch_write_item(RequestItems=batch)
        if _state(moto_alone) != before or moto_alone.scan(TableName=OTHER)["Items"]:
            changed.append(name)
        moto_alone.delete_table(TableName=TABLE)
        moto_alone.delete_table(TableName=OTHER)
        _tables(moto_alone)
        moto_alone.put_item(TableName=TABLE, Item=_item("a#old", fact="kept"))
        before = _state(moto_alone)

    assert changed == list(_batches())
    same_item = {TABLE: [_put(_item("b#1"))], OTHER: [_put(_item("b#1"))]}
    assert _refusal(lambda: moto_alone.batch_write_item(RequestItems=same_item)) == ("ValidationException", DUPLICATES)
