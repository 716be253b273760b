"""The kinds of DynamoDB value as moto names them, for the simulator's patches that walk values."""

from __future__ import annotations

from moto.dynamodb.models.dynamo_type import DDBType

# What moto's `DynamoType.is_set` asks, as one tuple: a walk tests it at every value without a call.
SET_KINDS = (DDBType.STRING_SET, DDBType.NUMBER_SET, DDBType.BINARY_SET)
