"""The weak_model_tracking seam: moto's list of every model instance holds the live ones only, so the copies moto
makes of each DynamoDB item it updates are freed, and the instances that live are still all listed."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.common_models import BaseModel
from moto.dynamodb.models.dynamo_type import Item

from local_cloud import model_tracking
from local_cloud.seams import is_ours

UPDATES = 300


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(
            TableName="tracked",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield dynamodb


def _update_often(dynamodb: Any) -> None:
    dynamodb.put_item(TableName="tracked", Item={"id": {"S": "kept"}, "n": {"N": "0"}})
    for _ in range(UPDATES):  # moto deep-copies the item it updates: a new Item each time
        dynamodb.update_item(
            TableName="tracked",
            Key={"id": {"S": "kept"}},
            UpdateExpression="ADD n :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
    gc.collect()


def _tracked(model: type) -> Any:
    return model.__dict__["instances_tracked"]  # set on each model class by moto's metaclass


def _tracked_items() -> list[Any]:
    return [item for item in _tracked(Item) if item.hash_key.value == "kept"]


def test_moto_alone_keeps_every_copy_it_made(table: Any) -> None:
    assert type(_tracked(Item)) is list  # moto's own list, even where the seam was installed before
    _update_often(table)
    assert len(_tracked_items()) > UPDATES  # what the seam is for


def test_the_copies_are_freed_and_the_stored_item_is_still_listed(table: Any) -> None:
    with model_tracking.install():
        _update_often(table)
        kept = _tracked_items()
        assert len(kept) <= 3  # the stored item (and whatever copy a request still holds), not one per update
        assert any(item.attrs["n"].value == str(UPDATES) for item in kept)
        assert isinstance(_tracked(Item), model_tracking.WeakInstances)
        assert is_ours(BaseModel.__dict__["__new__"].__func__)
    assert not is_ours(BaseModel.__dict__["__new__"].__func__)  # uninstalled: moto's own is back,
    assert type(_tracked(Item)) is list  # with a plain list again, holding the instances that live
    assert any(item.attrs["n"].value == str(UPDATES) for item in _tracked_items())


class _Slotted:
    __slots__ = ("value",)  # no __weakref__ slot: it cannot be referenced weakly

    def __init__(self, value: int) -> None:
        self.value = value


class _Plain:
    def __init__(self, value: int) -> None:
        self.value = value


def test_weak_instances_keep_the_living_and_what_cannot_be_weak() -> None:
    tracked = model_tracking.WeakInstances()
    alive = [_Plain(n) for n in range(3)]
    for instance in alive:
        tracked.append(instance)
    tracked.append(_Slotted(7))  # kept strongly, as moto keeps everything
    for n in range(10_000):
        tracked.append(_Plain(n))  # dropped as soon as nothing holds it
    gc.collect()

    assert list(tracked)[:3] == alive
    assert [instance.value for instance in tracked if isinstance(instance, _Slotted)] == [7]
    assert len(tracked) == 4
    assert len(tracked._refs) < 200  # the dead references were dropped along the way, not kept until the end
