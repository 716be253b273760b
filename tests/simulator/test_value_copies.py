"""The simulator's direct copies of DynamoDB values: the same tree moto's deep copy makes, node for node."""

from __future__ import annotations

import copy
from typing import Any

from moto.dynamodb.models.dynamo_type import DynamoType, Item

from simulator import value_copies


def _log_item() -> Item:
    transitions = [{"M": {"state": {"S": f"S{n}"}, "at": {"S": "2026-12-07"}, "n": {"N": str(n)}}} for n in range(4)]
    attributes = {
        "pk": {"S": "order-1"},
        "history": {"L": transitions},
        "reached": {"SS": ["S0", "S1"]},
        "blob": {"B": b"\x00\x01"},
        "flag": {"BOOL": True},
        "nothing": {"NULL": True},
    }
    return Item(DynamoType({"S": "order-1"}), DynamoType({"N": "3"}), attributes)


def _tree(value: Any) -> Any:
    """Every node's class, type and value, and which nodes are one object (by their first place in the walk)."""
    seen: dict[int, int] = {}

    def walk(node: Any) -> Any:
        if isinstance(node, DynamoType):
            first = seen.setdefault(id(node), len(seen))
            inner = node.value
            if isinstance(inner, list):
                inner = [walk(v) for v in inner]
            elif isinstance(inner, dict):
                inner = {k: walk(v) for k, v in inner.items()}
            return (type(node), node.type, inner, first)
        return node

    return [
        type(value.attrs),
        walk(value.hash_key),
        walk(value.range_key),
        {k: walk(v) for k, v in value.attrs.items()},
    ]


def test_a_copy_is_the_tree_moto_copies_and_shares_nothing_with_the_original() -> None:
    item = _log_item()
    shared = DynamoType({"M": {"a": {"S": "x"}}})
    item.attrs["once"], item.attrs["twice"] = shared, shared  # one value in two places stays one in the copy
    by_moto = copy.deepcopy(item)
    with value_copies.direct_value_copies():
        copied = copy.deepcopy(item)
    assert _tree(copied) == _tree(by_moto) == _tree(item)
    assert copied.attrs["once"] is copied.attrs["twice"]
    assert copied.hash_key is not item.hash_key
    assert copied.range_key is not item.range_key
    copied.attrs["history"].value[0].value["state"].value = "changed"
    copied.attrs["reached"].value.append("S9")
    assert item.attrs["history"].value[0].value["state"].value == "S0"
    assert item.attrs["reached"].value == ["S0", "S1"]


def test_the_copy_is_moto_s_again_once_left() -> None:
    originals = DynamoType.__deepcopy__, Item.__deepcopy__
    with value_copies.direct_value_copies():
        assert DynamoType.__deepcopy__ is not originals[0]
        assert Item.__deepcopy__ is not originals[1]
    assert (DynamoType.__deepcopy__, Item.__deepcopy__) == originals
