"""The queue policy AWS requires before EventBridge or SNS may deliver to an SQS queue."""

import json


def may_send(service: str, source_arn: str, queue_arn: str) -> str:
    """A policy letting ``service`` (e.g. ``events.amazonaws.com``) send to the queue for ``source_arn`` only."""
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": source_arn}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def topic_may_send(topic_arn: str, queue_arn: str) -> str:
    return may_send("sns.amazonaws.com", topic_arn, queue_arn)
