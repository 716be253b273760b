"""DynamoDB returns numbers as Decimal; every number this project stores is an integer (cents, units)."""

from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

_deserializer = TypeDeserializer()


def plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, set):
        return {plain(item) for item in value}
    return value


def from_wire(item: dict[str, Any]) -> dict[str, Any]:
    """An item as an error answer carries it (DynamoDB's AttributeValue form: boto3 converts only results)."""
    return dict(plain({name: _deserializer.deserialize(value) for name, value in item.items()}))
