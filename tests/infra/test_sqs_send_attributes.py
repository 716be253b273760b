"""The SQS seam `send_attributes` (local_cloud/sqs/send_attributes.py): SendMessage reads only the one attribute it
needs, and queues answer as before: content-based deduplication still deduplicates, and GetQueueAttributes still
counts every message."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local_cloud.sqs import send_attributes
from tests.infra.sqs_counting import counted_queues


@pytest.fixture
def sqs() -> Iterator[Any]:
    with mock_aws(), send_attributes.install():
        yield boto3.client("sqs", region_name="us-east-1")


def test_a_send_does_not_count_the_queue_and_queues_answer_as_before(sqs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    url = sqs.create_queue(QueueName="plain")["QueueUrl"]
    fifo = sqs.create_queue(
        QueueName="dedup.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    )["QueueUrl"]
    counted = counted_queues(monkeypatch)

    for number in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{number}")
    assert counted == []  # three sends, and no count of the queue

    for _ in range(2):  # the same body within five minutes: one message
        sqs.send_message(QueueUrl=fifo, MessageBody="same", MessageGroupId="g")
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "3"
    fifo_attributes = sqs.get_queue_attributes(QueueUrl=fifo, AttributeNames=["All"])["Attributes"]
    assert fifo_attributes["ApproximateNumberOfMessages"] == "1"
    assert fifo_attributes["ContentBasedDeduplication"] == "true"
    assert counted  # GetQueueAttributes does count
