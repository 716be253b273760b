"""moto's deep copy of an item and of a DynamoDB value, without copy.deepcopy's dispatch at every node.

moto copies items and values often: an update's original item, a transaction's snapshot, every list_append's
list (a saga log's history grows with each transition). Its ``Item.__deepcopy__`` and ``DynamoType.__deepcopy__``
hand each attribute and child back to ``copy.deepcopy``, which looks it up in the memo, finds its
``__deepcopy__`` and keeps it alive, per node. Here an attribute or child that is a plain ``DynamoType`` is
copied by the function below directly, with the same memo (a value met twice is copied once, as moto copies it);
anything else goes to ``copy.deepcopy`` as before. The copy is the same tree, node for node; a log item's copy
takes about half as long, 1.5 % of a schedule's instructions (seeds 1 to 8, 2026-12-07)."""

from __future__ import annotations

import copy
from typing import Any

from local_cloud.seams import Installation, replace, require_source
from simulator.dynamo_kinds import SET_KINDS


def direct_value_copies() -> Installation:
    from moto.dynamodb.models.dynamo_type import DDBType, DynamoType, Item, LimitedSizeDict

    require_source(
        DynamoType.__deepcopy__,
        [
            "result = self.__class__.__new__(self.__class__)",
            "memo[id(self)] = result",
            "result.type = self.type",
            "if self.is_list():",
            "result.value = [copy.deepcopy(v, memo) for v in self.value]",
            "elif self.is_map():",
            "result.value = {k: copy.deepcopy(v, memo) for k, v in self.value.items()}",
            "elif self.is_set():",
            "result.value = list(self.value)",
            "else:",
            "result.value = self.value",
        ],
        "DynamoType.__deepcopy__",
    )
    require_source(
        Item.__deepcopy__,
        [
            "result = cast(Item, self.__class__.__new__(self.__class__))",
            "memo[id(self)] = result",
            "result.hash_key = copy.deepcopy(self.hash_key, memo)",
            "result.range_key = copy.deepcopy(self.range_key, memo)",
            "attrs_copy = LimitedSizeDict.__new__(LimitedSizeDict)",
            "dict.__init__(attrs_copy)",
            "for key, value in self.attrs.items():",
            "dict.__setitem__(attrs_copy, key, copy.deepcopy(value, memo))",
            "result.attrs = attrs_copy",
            "return result",
        ],
        "Item.__deepcopy__",
    )
    list_kind, map_kind = DDBType.LIST, DDBType.MAP

    def child(value: Any, memo: dict[int, Any]) -> Any:
        return deep_copy(value, memo) if type(value) is DynamoType else copy.deepcopy(value, memo)

    def deep_copy(self: Any, memo: dict[int, Any]) -> Any:
        if id(self) in memo:
            return memo[id(self)]
        result = self.__class__.__new__(self.__class__)
        memo[id(self)] = result
        result.type = kind = self.type
        if kind == list_kind:
            result.value = [child(v, memo) for v in self.value]
        elif kind == map_kind:
            result.value = {k: child(v, memo) for k, v in self.value.items()}
        elif kind in SET_KINDS:
            result.value = list(self.value)
        else:
            result.value = self.value
        return result

    def deep_copy_item(self: Any, memo: dict[int, Any]) -> Any:
        if id(self) in memo:
            return memo[id(self)]
        result = self.__class__.__new__(self.__class__)
        memo[id(self)] = result
        result.hash_key = child(self.hash_key, memo)
        result.range_key = child(self.range_key, memo)
        attrs = LimitedSizeDict.__new__(LimitedSizeDict)  # filled as moto fills it: not sized again
        dict.__init__(attrs)
        for key, value in self.attrs.items():
            dict.__setitem__(attrs, key, child(value, memo))
        result.attrs = attrs
        return result

    return Installation([replace(DynamoType, "__deepcopy__", deep_copy), replace(Item, "__deepcopy__", deep_copy_item)])
