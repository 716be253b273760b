"""The AWS API calls the console makes, through boto3 clients pointed at the local cloud itself: the
console sees exactly what ``awslocal`` would, and touches no moto internals. Read-only calls only."""

from __future__ import annotations

import threading
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer
from botocore.config import Config
from botocore.exceptions import ClientError

_CONFIG = Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10)
_DESERIALIZER = TypeDeserializer()
Item = dict[str, Any]


class CloudReader:
    def __init__(self, endpoint_url: str | None, region: str = "us-east-1") -> None:
        """`endpoint_url` None: boto3's default, i.e. moto's in-process mock in tests."""
        self.endpoint_url = endpoint_url
        self.region = region
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str) -> Any:
        with self._lock:  # creating clients is not thread-safe; using one is
            if service not in self._clients:
                self._clients[service] = boto3.session.Session().client(
                    service,
                    endpoint_url=self.endpoint_url,
                    region_name=self.region,
                    aws_access_key_id="test",
                    aws_secret_access_key="test",
                    config=_CONFIG,
                )
            return self._clients[service]

    # ------------------------------------------------------------------ saga log
    def query_index(self, table: str, index: str, key: str, value: str, limit: int) -> list[Item]:
        response = self.client("dynamodb").query(
            TableName=table,
            IndexName=index,
            KeyConditionExpression="#k = :v",
            ExpressionAttributeNames={"#k": key},
            ExpressionAttributeValues={":v": {"S": value}},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [plain(item) for item in response.get("Items", [])]

    def get_item(self, table: str, key: dict[str, str]) -> Item | None:
        response = self.client("dynamodb").get_item(
            TableName=table, Key={name: {"S": value} for name, value in key.items()}, ConsistentRead=True
        )
        return plain(response["Item"]) if "Item" in response else None

    # ------------------------------------------------------------------ Step Functions
    def state_machines(self) -> list[tuple[str, str]]:
        """(ARN, name) of every state machine."""
        pages = self.client("stepfunctions").get_paginator("list_state_machines")
        return [
            (str(machine["stateMachineArn"]), str(machine["name"]))
            for page in pages.paginate()
            for machine in page["stateMachines"]
        ]

    def tags(self, arn: str) -> dict[str, str]:
        try:
            found = self.client("stepfunctions").list_tags_for_resource(resourceArn=arn)["tags"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ResourceNotFound":  # deleted since it was listed
                return {}
            raise
        return {str(tag["key"]): str(tag["value"]) for tag in found}

    def describe_state_machine(self, arn: str) -> dict[str, Any]:
        return dict(self.client("stepfunctions").describe_state_machine(stateMachineArn=arn))

    def describe_execution(self, arn: str) -> dict[str, Any] | None:
        try:
            return dict(self.client("stepfunctions").describe_execution(executionArn=arn))
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ExecutionDoesNotExist":
                return None
            raise

    def execution_history(self, arn: str) -> list[dict[str, Any]]:
        pages = self.client("stepfunctions").get_paginator("get_execution_history")
        return [event for page in pages.paginate(executionArn=arn) for event in page["events"]]


def plain(item: dict[str, Any]) -> Item:
    """A DynamoDB item (wire format) as Python values (numbers as Decimal: the JSON encoder converts them)."""
    return {key: _DESERIALIZER.deserialize(value) for key, value in item.items()}
