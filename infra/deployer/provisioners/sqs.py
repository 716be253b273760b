"""AWS::SQS::Queue and AWS::SQS::QueuePolicy. CreateQueue is idempotent for one name with the same attributes,
so a queue is created once and its attributes converged with SetQueueAttributes; a queue policy is the
`Policy` attribute of each queue it names."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from .base import Provisioner, Result, Target, error_code

_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "SqsManagedSseEnabled",
    "VisibilityTimeout",
)


class QueueProvisioner(Provisioner):
    resource_type = "AWS::SQS::Queue"
    properties = frozenset({"QueueName", "RedrivePolicy", *_ATTRIBUTES})

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        sqs = target.clients("sqs")
        name = str(properties.get("QueueName") or target.name(logical_id, max_length=80))
        attributes = {key: _attribute(properties[key]) for key in _ATTRIBUTES if key in properties}
        if "RedrivePolicy" in properties:
            redrive = properties["RedrivePolicy"]
            attributes["RedrivePolicy"] = redrive if isinstance(redrive, str) else json.dumps(redrive)
        try:
            url = str(sqs.get_queue_url(QueueName=name)["QueueUrl"])
            existed = True
        except ClientError as exc:
            if error_code(exc) not in ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"):
                raise
            url, existed = str(sqs.create_queue(QueueName=name)["QueueUrl"]), False
        if attributes:
            sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
        arn = str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])
        return Result(
            ref=url,
            action="updated" if existed else "created",
            attributes={"Arn": arn, "QueueName": name, "QueueUrl": url},
        )


class QueuePolicyProvisioner(Provisioner):
    resource_type = "AWS::SQS::QueuePolicy"
    properties = frozenset({"PolicyDocument", "Queues"})
    required = frozenset({"PolicyDocument", "Queues"})

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        sqs = target.clients("sqs")
        document = properties["PolicyDocument"]
        policy = document if isinstance(document, str) else json.dumps(document)
        actions = set()
        for url in properties["Queues"]:
            current = sqs.get_queue_attributes(QueueUrl=str(url), AttributeNames=["Policy"]).get("Attributes", {})
            if "Policy" in current and json.loads(current["Policy"]) == json.loads(policy):
                actions.add("unchanged")
                continue
            sqs.set_queue_attributes(QueueUrl=str(url), Attributes={"Policy": policy})
            actions.add("updated" if "Policy" in current else "created")
        action = next(a for a in ("updated", "created", "unchanged") if a in actions)
        return Result(ref=target.name(logical_id, max_length=128), action=action)


def _attribute(value: Any) -> str:
    """A queue attribute as SQS takes it: booleans as "true"/"false"."""
    return str(value).lower() if isinstance(value, bool) else str(value)
