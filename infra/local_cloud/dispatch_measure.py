"""The measurements of ``dispatch``'s seams (``python -m local_cloud.measure``): the smallest request there is,
a GetItem of a small item, served by moto's server application; and what a new server's first request of each
service reads, that service's model."""

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


# The services a deployed stack's server reads the models of (its first deploy and first saga).
SERVED_SERVICES = (
    "apigateway",
    "cloudwatch",
    "codedeploy",
    "cognito-idp",
    "dynamodb",
    "dynamodbstreams",
    "events",
    "iam",
    "kms",
    "lambda",
    "logs",
    "sqs",
    "ssm",
    "stepfunctions",
    "sts",
)


class FirstModelReads(InProcessTrial):
    """Each service's model read as moto reads it at the service's first request in a new process: its caches are
    emptied before each round (the loader's too, when the seam caches one)."""

    def before_round(self) -> None:
        from moto.core import utils

        utils.get_service_model.cache_clear()
        utils.get_pagination_model.cache_clear()
        create_loader = vars(utils)["create_loader"]  # moto's, or the seam's cached one
        if hasattr(create_loader, "cache_clear"):
            create_loader.cache_clear()

    def round(self) -> int:
        from moto.core import utils

        for service in SERVED_SERVICES:
            utils.get_service_model(service)
        return len(SERVED_SERVICES)


MEASUREMENTS = [
    Measurement(
        "module_list_cache",
        "GetItem of a 1-attribute item",
        "moto.backends.list_of_moto_modules",
        in_process(SmallGetItem),
    ),
    Measurement(
        "model_loader_cache",
        "a service's model read at its first request in a new server, 15 services",
        "moto.core.utils.create_loader",
        in_process(FirstModelReads),
    ),
]
