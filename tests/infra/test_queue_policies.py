"""Queue policies on the local cloud: EventBridge and SNS deliver to an SQS queue only what its policy allows,
as on AWS (moto alone delivers everything). In-process moto with the one seam installed."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local_cloud.events import queue_policies
from local_cloud.iam.policies import resource_policy_allows
from tests.support.queue_policy import may_send

ACCOUNT = "123456789012"
OTHER_RULE = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/someone-else"
OTHER_TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:someone-else"


@pytest.fixture
def aws() -> Iterator[Callable[[str], Any]]:
    with mock_aws(), queue_policies.install():
        yield lambda service: boto3.client(service, region_name="us-east-1")


def make_queue(aws: Callable[[str], Any], policy: Callable[[str], str | None]) -> tuple[str, str]:
    """A queue whose policy is ``policy(queue_arn)`` (none if None): (url, arn)."""
    sqs = aws("sqs")
    url = sqs.create_queue(QueueName="deliveries")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    document = policy(arn)
    if document is not None:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": document})
    return url, arn


def received(aws: Callable[[str], Any], url: str) -> list[dict[str, Any]]:
    """The bodies on the queue: moto delivers inside PutEvents/Publish, so they are there already."""
    messages = aws("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(message["Body"]) for message in messages]


# -- EventBridge rule -> SQS target ------------------------------------------------------------------------


def deliver_event(aws: Callable[[str], Any], policy: Callable[[str, str], str | None]) -> tuple[str, str, str]:
    """A rule on the default bus targeting a queue whose policy is ``policy(rule_arn, queue_arn)``, and one
    matching event put: (queue url, queue arn, rule arn)."""
    events = aws("events")
    rule = events.put_rule(Name="orders", EventPattern=json.dumps({"source": ["checkout-saga"]}))["RuleArn"]
    url, queue = make_queue(aws, lambda arn: policy(rule, arn))
    events.put_targets(Rule="orders", Targets=[{"Id": "queue", "Arn": queue}])
    events.put_events(
        Entries=[{"Source": "checkout-saga", "DetailType": "OrderCreated", "Detail": json.dumps({"orderId": "o-1"})}]
    )
    return url, queue, rule


def test_a_rule_delivers_to_a_queue_whose_policy_allows_it(aws: Callable[[str], Any]) -> None:
    url, _, _ = deliver_event(aws, lambda rule, queue: may_send("events.amazonaws.com", rule, queue))

    [event] = received(aws, url)
    assert (event["detail-type"], event["detail"]) == ("OrderCreated", {"orderId": "o-1"})


def test_a_queue_policy_changed_after_a_delivery_decides_the_next_one(aws: Callable[[str], Any]) -> None:
    # The decision is taken once per policy text and sender: a new policy is decided again.
    url, queue, rule = deliver_event(aws, lambda _rule, queue: may_send("events.amazonaws.com", OTHER_RULE, queue))
    assert received(aws, url) == []
    aws("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": may_send("events.amazonaws.com", rule, queue)})

    aws("events").put_events(
        Entries=[{"Source": "checkout-saga", "DetailType": "OrderConfirmed", "Detail": json.dumps({"orderId": "o-1"})}]
    )

    assert [event["detail-type"] for event in received(aws, url)] == ["OrderConfirmed"]
    aws("sqs").set_queue_attributes(
        QueueUrl=url, Attributes={"Policy": may_send("events.amazonaws.com", OTHER_RULE, queue)}
    )
    aws("events").put_events(
        Entries=[{"Source": "checkout-saga", "DetailType": "OrderCancelled", "Detail": json.dumps({"orderId": "o-1"})}]
    )
    counts = aws("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    assert counts == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "1"}  # no new one


# -- SNS topic -> SQS subscription -------------------------------------------------------------------------


def deliver_notification(aws: Callable[[str], Any], policy: Callable[[str, str], str | None]) -> tuple[str, str, str]:
    """A topic with a queue subscribed whose policy is ``policy(topic_arn, queue_arn)``, and one message
    published: (queue url, queue arn, topic arn)."""
    sns = aws("sns")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    url, queue = make_queue(aws, lambda arn: policy(topic, arn))
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue)
    sns.publish(TopicArn=topic, Message="compensation failed")
    return url, queue, topic


def test_a_topic_delivers_to_a_queue_whose_policy_allows_it(aws: Callable[[str], Any]) -> None:
    url, _, topic = deliver_notification(aws, lambda topic, queue: may_send("sns.amazonaws.com", topic, queue))

    [notification] = received(aws, url)
    assert (notification["TopicArn"], notification["Message"]) == (topic, "compensation failed")


Deliver = Callable[[Callable[[str], Any], Callable[[str, str], str | None]], tuple[str, str, str]]


# The queue policy names (service, source ARN): no policy at all when the service is None; the source is the
# sender's own ARN (the rule's, the topic's) when it is None.
@pytest.mark.parametrize(
    ("deliver", "service", "source"),
    [
        pytest.param(deliver_event, None, None, id="rule-no-policy"),
        pytest.param(deliver_event, "events.amazonaws.com", OTHER_RULE, id="rule-another-rule"),
        pytest.param(deliver_event, "sns.amazonaws.com", None, id="rule-another-service"),
        pytest.param(deliver_notification, None, None, id="topic-no-policy"),
        pytest.param(deliver_notification, "sns.amazonaws.com", OTHER_TOPIC, id="topic-another-topic"),
        pytest.param(deliver_notification, "events.amazonaws.com", None, id="topic-another-service"),
    ],
)
def test_nothing_is_delivered_to_a_queue_whose_policy_does_not_allow_it(
    aws: Callable[[str], Any],
    deliver: Deliver,
    service: str | None,
    source: str | None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def policy(sender: str, queue: str) -> str | None:
        return None if service is None else may_send(service, source or sender, queue)

    with caplog.at_level(logging.WARNING, logger="local_cloud.events.queue_policies"):
        url, queue, sender = deliver(aws, policy)

    assert received(aws, url) == []
    [warning] = [r.getMessage() for r in caplog.records if r.name == "local_cloud.events.queue_policies"]
    assert sender in warning  # the rule or the topic
    assert queue in warning


# -- the evaluator: a queue policy's Resource must name the queue ------------------------------------------


@pytest.mark.parametrize(
    ("resource", "allowed"),
    [
        ("arn:aws:sqs:us-east-1:123456789012:deliveries", True),
        ("arn:aws:sqs:us-east-1:123456789012:*", True),
        ("arn:aws:sqs:us-east-1:123456789012:other", False),
        (None, False),
    ],
)
def test_a_queue_policy_statement_counts_only_for_the_queue_it_names(resource: str | None, allowed: bool) -> None:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Condition": {"ArnEquals": {"aws:SourceArn": OTHER_RULE}},
    }
    if resource is not None:
        statement["Resource"] = resource

    decision = resource_policy_allows(
        [statement],
        service="events.amazonaws.com",
        action="sqs:SendMessage",
        source_arn=OTHER_RULE,
        source_account=ACCOUNT,
        resource="arn:aws:sqs:us-east-1:123456789012:deliveries",
    )

    assert decision is allowed


QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:deliveries"
ALLOW_EVENTS = {
    "Effect": "Allow",
    "Principal": {"Service": "events.amazonaws.com"},
    "Action": "sqs:SendMessage",
    "Resource": QUEUE,
}


@pytest.mark.parametrize(
    "deny",
    [
        {"NotAction": "sqs:ReceiveMessage", "Principal": "*"},
        {"Action": "sqs:*", "NotPrincipal": {"Service": "sns.amazonaws.com"}},
        {"Action": "sqs:*", "Principal": "*", "Condition": {"ArnNotEquals": {"aws:SourceArn": "arn:aws:events:x"}}},
        {"Action": "sqs:*", "Principal": "*", "Condition": {"StringNotEquals": {"aws:SourceAccount": "1"}}},
    ],
    ids=["NotAction", "NotPrincipal", "ArnNotEquals", "StringNotEquals"],
)
def test_a_queue_policys_deny_keeps_its_effect_whatever_form_it_takes(deny: dict[str, Any]) -> None:
    statement = {"Effect": "Deny", "Resource": QUEUE, **deny}

    decision = resource_policy_allows(
        [ALLOW_EVENTS, statement],
        service="events.amazonaws.com",
        action="sqs:SendMessage",
        source_arn=OTHER_RULE,
        source_account=ACCOUNT,
        resource=QUEUE,
    )

    assert decision is False
    assert resource_policy_allows(
        [ALLOW_EVENTS],
        service="events.amazonaws.com",
        action="sqs:SendMessage",
        source_arn=OTHER_RULE,
        source_account=ACCOUNT,
        resource=QUEUE,
    )
