"""The SQS seam `receive_retention` (local_cloud/sqs/receive_retention.py): ReceiveMessage checks each message's
retention without counting the queue, and decides as moto does: a message past its queue's retention period is
not delivered, one within it is."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.utils import unix_time

from local_cloud.sqs import receive_retention
from tests.infra.sqs_counting import counted_queues


@pytest.fixture
def sqs() -> Iterator[Any]:
    with mock_aws(), receive_retention.install():
        yield boto3.client("sqs", region_name="us-east-1")


def test_a_receive_does_not_count_the_queue(sqs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    url = sqs.create_queue(QueueName="deep")["QueueUrl"]
    for number in range(30):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{number}")
    counted = counted_queues(monkeypatch)

    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]

    assert len(received) == 10
    assert counted == []  # ten messages checked, and no count of the queue
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesNotVisible"]) == (
        "20",
        "10",
    )


def test_a_message_past_its_queues_retention_is_not_delivered(sqs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    url = sqs.create_queue(QueueName="short", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="kept")
    now = unix_time()

    monkeypatch.setattr(receive_retention, "unix_time", lambda: now + 59)
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"]] == ["kept"]
    monkeypatch.setattr(receive_retention, "unix_time", lambda: now + 61)
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
