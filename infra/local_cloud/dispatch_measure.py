"""The measurements of ``dispatch``'s seams (``python -m local_cloud.measure``): the smallest request there is,
a GetItem of a small item, served by moto's server application."""

from __future__ import annotations

from typing import Any

from local_cloud.measure import InProcessTrial, Measurement, in_process

_REQUESTS_PER_ROUND = 300


class SmallGetItem(InProcessTrial):
    def __init__(self, runner: Any, measurement: Measurement) -> None:
        super().__init__(runner, measurement)
        self.app.call(
            "dynamodb",
            "DynamoDB_20120810.CreateTable",
            {
                "TableName": "measure-dispatch",
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                "BillingMode": "PAY_PER_REQUEST",
            },
        )
        self.app.call(
            "dynamodb", "DynamoDB_20120810.PutItem", {"TableName": "measure-dispatch", "Item": {"id": {"S": "a"}}}
        )

    def round(self) -> int:
        for _ in range(_REQUESTS_PER_ROUND):
            self.app.call(
                "dynamodb", "DynamoDB_20120810.GetItem", {"TableName": "measure-dispatch", "Key": {"id": {"S": "a"}}}
            )
        return _REQUESTS_PER_ROUND


MEASUREMENTS = [
    Measurement(
        "module_list_cache",
        "GetItem of a 1-attribute item",
        "moto.backends.list_of_moto_modules",
        in_process(SmallGetItem),
    ),
]
