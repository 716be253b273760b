"""The simulator's direct sizes of DynamoDB values: the number moto computes, for every kind of value."""

from __future__ import annotations

from typing import Any

from moto.dynamodb.models.dynamo_type import DynamoType, Item

from simulator import value_sizes

VALUES: list[dict[str, Any]] = [
    {"S": "plain"},
    {"S": "é ünïcode"},
    {"N": "12.50"},
    {"B": b"\x00\x01\x02"},
    {"BOOL": True},
    {"BOOL": False},
    {"NULL": True},
    {"SS": ["a", "bé"]},
    {"NS": ["1", "22.5"]},
    {"BS": [b"\x00", b"\x01\x02"]},
    {"L": [{"S": "x"}, {"N": "3"}, {"M": {"k": {"L": [{"BOOL": True}, {"SS": ["q"]}]}}}]},
    {"M": {"history": {"L": [{"M": {"state": {"S": "S1"}, "at": {"S": "2026"}}}]}, "n": {"N": "7"}}},
]


def test_each_size_is_the_one_moto_computes() -> None:
    values = [DynamoType(value) for value in VALUES]
    item = Item(DynamoType({"S": "k"}), None, {f"a{n}": value for n, value in enumerate(VALUES)})
    original = DynamoType.size
    by_moto = [value.size() for value in values], item.size()
    with value_sizes.direct_value_sizes():
        assert DynamoType.size is not original
        assert ([value.size() for value in values], item.size()) == by_moto
    assert DynamoType.size is original
