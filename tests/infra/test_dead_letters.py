"""Dead letters on the local cloud: an EventBridge target's dead-letter queue gets what the target's queue refused,
as on AWS, and SQS's redrive (StartMessageMoveTask, which moto lacks) moves a dead-letter queue's messages back
to their source, refusing a queue that is no queue's dead-letter queue. Through one in-process server, so that
each call goes through the request path (dispatch, IAM) a client's would."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import botocore.exceptions
import pytest

from local_cloud.server import LocalCloud
from tests.support.queue_policy import may_send


def make_queue(aws: Callable[[str], Any], name: str, **attributes: str) -> tuple[str, str]:
    sqs = aws("sqs")
    url = sqs.create_queue(QueueName=f"{name}-{uuid.uuid4().hex[:6]}", Attributes=attributes)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def bodies(aws: Callable[[str], Any], url: str) -> list[dict[str, Any]]:
    messages = aws("sqs").receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], VisibilityTimeout=0
    )
    return [
        {**json.loads(m["Body"]), "_attributes": m.get("MessageAttributes", {})} for m in messages.get("Messages", [])
    ]


def a_rule_with_a_dead_letter_queue(aws: Callable[[str], Any], dead_letter_policy: bool) -> tuple[str, str, str]:
    """A rule whose target queue allows nothing (no policy) and whose target's dead-letter queue allows the rule
    (or has no policy either); one matching event put. (target url, dead-letter url, rule arn)."""
    events, name = aws("events"), f"orders-{uuid.uuid4().hex[:6]}"
    events.create_event_bus(Name=name)  # its own bus: the cloud's other rules (schedules) match any default event
    pattern = json.dumps({"source": ["checkout-saga"]})
    rule = events.put_rule(Name=name, EventBusName=name, EventPattern=pattern)["RuleArn"]
    target_url, target_arn = make_queue(aws, "refusing")
    dead_url, dead_arn = make_queue(aws, "dead-letters")
    if dead_letter_policy:
        aws("sqs").set_queue_attributes(
            QueueUrl=dead_url, Attributes={"Policy": may_send("events.amazonaws.com", rule, dead_arn)}
        )
    events.put_targets(
        Rule=name,
        EventBusName=name,
        Targets=[
            {
                "Id": "queue",
                "Arn": target_arn,
                "DeadLetterConfig": {"Arn": dead_arn},
                "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 60},
            }
        ],
    )
    events.put_events(
        Entries=[
            {
                "Source": "checkout-saga",
                "DetailType": "OrderCreated",
                "Detail": json.dumps({"orderId": "o-1"}),
                "EventBusName": name,
            }
        ]
    )
    return target_url, dead_url, rule


def test_an_event_the_target_refused_goes_to_the_targets_dead_letter_queue(
    cloud: LocalCloud, aws: Callable[[str], Any]
) -> None:
    target_url, dead_url, rule = a_rule_with_a_dead_letter_queue(aws, dead_letter_policy=True)

    assert bodies(aws, target_url) == []
    [kept] = bodies(aws, dead_url)
    assert (kept["detail-type"], kept["detail"]) == ("OrderCreated", {"orderId": "o-1"})
    assert kept["_attributes"]["RULE_ARN"]["StringValue"] == rule
    assert kept["_attributes"]["ERROR_CODE"]["StringValue"] == "SQS.AccessDeniedException"


def test_a_dead_letter_queue_that_does_not_allow_the_rule_gets_nothing(
    cloud: LocalCloud, aws: Callable[[str], Any]
) -> None:
    target_url, dead_url, _rule = a_rule_with_a_dead_letter_queue(aws, dead_letter_policy=False)

    assert bodies(aws, target_url) == bodies(aws, dead_url) == []


def poisoned(aws: Callable[[str], Any]) -> tuple[str, str, str, str]:
    """A queue whose message was received twice and never deleted: moved to its dead-letter queue at the second
    receive (maxReceiveCount 1). (source url, source arn, dead-letter url, dead-letter arn)."""
    sqs = aws("sqs")
    dead_url, dead_arn = make_queue(aws, "dlq")
    policy = json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": 1})
    url, arn = make_queue(aws, "source", RedrivePolicy=policy, VisibilityTimeout="0")
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": 1}))
    for _ in range(2):
        sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)
    return url, arn, dead_url, dead_arn


def test_a_message_move_task_sends_the_dead_letters_back_and_reports_the_count(
    cloud: LocalCloud, aws: Callable[[str], Any]
) -> None:
    sqs = aws("sqs")
    url, arn, dead_url, dead_arn = poisoned(aws)
    assert [b["n"] for b in bodies(aws, dead_url)] == [1]

    handle = sqs.start_message_move_task(SourceArn=dead_arn, DestinationArn=arn)["TaskHandle"]

    [task] = sqs.list_message_move_tasks(SourceArn=dead_arn, MaxResults=1)["Results"]
    assert (task["TaskHandle"], task["Status"], task["ApproximateNumberOfMessagesMoved"]) == (handle, "COMPLETED", 1)
    assert bodies(aws, dead_url) == []
    [back] = sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])["Messages"]
    assert json.loads(back["Body"]) == {"n": 1}
    assert back["Attributes"]["ApproximateReceiveCount"] == "1"  # a new message: its receives count again


def test_without_a_destination_the_messages_go_back_to_their_source(
    cloud: LocalCloud, aws: Callable[[str], Any]
) -> None:
    url, _arn, _dead_url, dead_arn = poisoned(aws)

    aws("sqs").start_message_move_task(SourceArn=dead_arn)

    assert [b["n"] for b in bodies(aws, url)] == [1]


def test_a_queue_that_is_no_dead_letter_queue_cannot_be_redriven(cloud: LocalCloud, aws: Callable[[str], Any]) -> None:
    _url, arn = make_queue(aws, "plain")

    with pytest.raises(botocore.exceptions.ClientError) as refused:
        aws("sqs").start_message_move_task(SourceArn=arn)

    assert refused.value.response["Error"]["Code"] in (
        "InvalidParameterValue",
        "AWS.SimpleQueueService.InvalidParameterValue",
    )
    assert "is not a dead-letter queue" in refused.value.response["Error"]["Message"]
