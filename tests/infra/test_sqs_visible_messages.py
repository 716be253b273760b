"""The SQS seam `visible_messages` (local_cloud/sqs/visible_messages.py): a receive tests the queue's messages only
until it holds what it hands out, and hands out what moto would: in order, never one in flight or delayed; the
counts and a long poll's wait see the same messages as before."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local_cloud.sqs import patches
from tests.infra.sqs_counting import visibility_checks


@pytest.fixture
def sqs() -> Iterator[Any]:
    with mock_aws(), patches.install_all():
        yield boto3.client("sqs", region_name="us-east-1")


@pytest.mark.parametrize("seam", [True, False], ids=["with the seam", "moto alone"])
def test_a_receive_tests_only_the_messages_up_to_those_it_hands_out(
    seam: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    with mock_aws(), patches.install_all(without=() if seam else ("visible_messages",)):
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="deep")["QueueUrl"]
        for number in range(500):
            sqs.send_message(QueueUrl=url, MessageBody=f"m{number}")
        first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60)["Messages"]
        tested = visibility_checks(monkeypatch)

        second = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]

    assert [m["Body"] for m in first] == [f"m{n}" for n in range(10)]
    assert [m["Body"] for m in second] == [f"m{n}" for n in range(10, 20)]  # the ten in flight skipped
    assert (len(tested) < 50) is seam  # moto alone tests every one of the 500


def test_delayed_and_in_flight_messages_are_neither_handed_out_nor_counted_visible(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="mixed")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
    for body in ("a", "b", "c"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url, VisibilityTimeout=60)["Messages"]] == ["a"]

    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]

    assert (
        attributes["ApproximateNumberOfMessages"],
        attributes["ApproximateNumberOfMessagesNotVisible"],
        attributes["ApproximateNumberOfMessagesDelayed"],
    ) == ("2", "1", "1")
    assert [m["Body"] for m in received] == ["b", "c"]


def test_a_long_poll_wakes_for_a_message_sent_while_it_waits(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="quiet")["QueueUrl"]
    later = threading.Timer(0.3, lambda: sqs.send_message(QueueUrl=url, MessageBody="late"))
    started = time.monotonic()
    later.start()

    received = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]

    assert [m["Body"] for m in received] == ["late"]
    assert time.monotonic() - started < 4
