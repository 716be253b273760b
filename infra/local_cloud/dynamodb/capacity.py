"""DynamoDB capacity units as AWS computes them, from item sizes.

moto's ``ReturnConsumedCapacity`` answers constants (PutItem 1, GetItem 0.5, Query 1, nothing for UpdateItem
or TransactWriteItems), whatever the items. The local cloud meters what a request would consume on AWS with
these rules (Amazon DynamoDB Developer Guide, "Item sizes and formats" and "Read/write capacity mode"):

- item size: attribute names plus values; a string or binary is its bytes, a number about 1 byte per two
  significant digits plus 1, a boolean or null 1 byte, a list or map 3 bytes plus 1 byte per element;
- write: 1 unit per 1 KB of the larger of the item before and after (at least 1), also when a condition
  refuses it (then the item as stored); a transactional write 2 units per 1 KB;
- read: 1 unit per 4 KB for a strongly consistent read, half for an eventually consistent one (at least one
  item's worth even when the item is missing); a transactional read 2 units per 4 KB; a Query rounds up the
  sum of the sizes of the items it read, not each item;
- a global secondary index has its own writes: 1 when an item enters, leaves or changes in it, 2 when the
  item's index key changes (a delete and a put).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from typing import Any

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096

Item = Mapping[str, Any]  # an item in DynamoDB's wire form: {"name": {"S": "..."}, ...}


def item_size(item: Item | None) -> int:
    """Bytes of an item as DynamoDB counts them (0 for no item)."""
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def value_size(value: Mapping[str, Any]) -> int:
    ((kind, content),) = value.items()
    if kind == "S":
        return len(str(content).encode())
    if kind == "N":
        return number_size(str(content))
    if kind == "B":
        return len(base64.b64decode(content)) if isinstance(content, str) else len(content)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(element).encode()) for element in content)
    if kind == "NS":
        return sum(number_size(str(element)) for element in content)
    if kind == "BS":
        return sum(value_size({"B": element}) for element in content)
    if kind == "L":
        return 3 + sum(1 + value_size(element) for element in content)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + value_size(element) for name, element in content.items())
    raise ValueError(f"not a DynamoDB attribute value type: {kind!r}")


def number_size(text: str) -> int:
    """1 byte per two significant digits, rounded up, plus 1 (plus 1 more for a negative number)."""
    negative = text.startswith("-")
    mantissa = text.lstrip("+-").lower().partition("e")[0]
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).strip("0")
    return math.ceil(max(len(digits), 1) / 2) + 1 + int(negative)


def write_units(before: int, after: int, transactional: bool = False) -> int:
    units = max(1, math.ceil(max(before, after) / WRITE_UNIT_BYTES))
    return units * 2 if transactional else units


def read_units(size: int, consistent: bool, transactional: bool = False) -> float:
    units = max(1, math.ceil(size / READ_UNIT_BYTES))
    if transactional:
        return float(units * 2)
    return float(units) if consistent else units / 2


def index_writes(before: Item | None, after: Item | None, index_keys: tuple[str, ...], projected: int) -> int:
    """Write units a write costs one global secondary index whose key attributes are `index_keys` (an item
    lacking one of them is not in the index); `projected`: the larger projected size, before or after."""
    was_in = before is not None and all(name in before for name in index_keys)
    is_in = after is not None and all(name in after for name in index_keys)
    per_write = max(1, math.ceil(projected / WRITE_UNIT_BYTES))
    if was_in and is_in:
        assert before is not None
        assert after is not None
        if any(before[name] != after[name] for name in index_keys):
            return 2 * per_write  # the old entry deleted, the new one put
        return per_write if before != after else 0
    return per_write if (was_in or is_in) else 0
