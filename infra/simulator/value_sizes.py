"""moto's size of a DynamoDB value, without rebuilding every map's values to size them.

moto sizes an item at every attribute it sets (its size-limited dict sums every attribute already there, each
time), and ``DynamoType.size`` sizes each value of a map as ``DynamoType(v).size()``: a new value built from ``v``,
which rebuilds ``v``'s whole subtree first, at each level of nesting. A saga log's history is a list of maps,
sized again at each transition appended. Here the same sum is taken over the values themselves (a map's value
that is not a plain ``DynamoType`` is still sized as moto sizes it); every other case is moto's own arithmetic,
so each size is the number moto computes: 2.5 % of a schedule's instructions (seeds 1 to 8, 2026-12-07)."""

from __future__ import annotations

from typing import Any

from local_cloud.seams import Installation, replace, require_source
from simulator.dynamo_kinds import SET_KINDS


def direct_value_sizes() -> Installation:
    from moto.dynamodb.models.dynamo_type import DDBType, DynamoType
    from moto.dynamodb.models.utilities import bytesize

    require_source(
        DynamoType.size,
        [
            "if self.is_number(): value_size = len(str(self.value))",
            "elif self.is_set(): sub_type = self.type[0]",
            "value_size = sum([DynamoType({sub_type: v}).size() for v in self.value])",
            "elif self.is_list(): value_size = sum([v.size() for v in self.value])",
            "elif self.is_map(): value_size = sum(",
            "[bytesize(k) + DynamoType(v).size() for k, v in self.value.items()]",
            "elif isinstance(self.value, bool): value_size = 1",
            "else: value_size = bytesize(self.value)",
            "return value_size",
        ],
        "DynamoType.size",
    )

    list_kind, map_kind = DDBType.LIST, DDBType.MAP

    def scalar(kind: str, value: Any) -> int:
        if kind == DDBType.NUMBER:
            return len(str(value))
        return 1 if isinstance(value, bool) else bytesize(value)

    def size(self: Any) -> int:
        kind, value = self.type, self.value
        if kind == list_kind:
            return sum([v.size() for v in value])
        if kind == map_kind:
            return sum(
                [bytesize(k) + (size(v) if type(v) is DynamoType else DynamoType(v).size()) for k, v in value.items()]
            )
        if kind in SET_KINDS:
            return sum([scalar(kind[0], v) for v in value])
        return scalar(kind, value)

    return Installation([replace(DynamoType, "size", size)])
