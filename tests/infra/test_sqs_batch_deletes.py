"""The SQS seam `batch_deletes` (local_cloud/sqs/batch_deletes.py): DeleteMessageBatch answers as moto's does, in
one pass over the queue: a current receipt handle deletes, so does an older one of a message received again, a
handle deleted before succeeds again, one the queue never gave is refused; what is left is the same queue."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local_cloud.sqs import batch_deletes


@contextlib.contextmanager
def _queue(seam: bool, messages: int) -> Iterator[tuple[Any, str]]:
    """A client and the URL of a queue holding `messages` messages m0, m1, ... (2 digits from 10 on)."""
    with mock_aws(), batch_deletes.install() if seam else contextlib.nullcontext():
        sqs: Any = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        for number in range(messages):
            sqs.send_message(QueueUrl=url, MessageBody=f"m{number:0{len(str(messages - 1))}d}")
        yield sqs, url


def _scenario(seam: bool) -> tuple[list[str], list[tuple[str, str]], list[str], dict[str, str]]:
    with _queue(seam, 8) as (sqs, url):
        first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=6, VisibilityTimeout=0)["Messages"]
        again = {m["MessageId"]: m for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]}
        entries = [
            {"Id": "current", "ReceiptHandle": next(m for m in first if m["MessageId"] not in again)["ReceiptHandle"]},
            {"Id": "older", "ReceiptHandle": next(m for m in first if m["MessageId"] in again)["ReceiptHandle"]},
            {"Id": "never", "ReceiptHandle": "not-a-handle"},
        ]
        gone = [m for m in first if m["MessageId"] not in again][-1]["ReceiptHandle"]
        sqs.delete_message(QueueUrl=url, ReceiptHandle=gone)
        entries.append({"Id": "deletedbefore", "ReceiptHandle": gone})
        answer = sqs.delete_message_batch(QueueUrl=url, Entries=entries)
        left = sorted(
            m["Body"]
            for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
        )
        counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        return (
            sorted(entry["Id"] for entry in answer.get("Successful", [])),
            [(error["Id"], error["Code"]) for error in answer.get("Failed", [])],
            left,
            {name: counts[name] for name in ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")},
        )


@pytest.mark.parametrize("seam", [True, False], ids=["seam", "moto"])
def test_a_batch_deletes_as_moto_does(seam: bool) -> None:
    succeeded, failed, left, counts = _scenario(seam)

    assert succeeded == ["current", "deletedbefore", "older"]
    assert failed == [("never", "ReceiptHandleIsInvalid")]
    assert left == ["m3", "m4", "m6", "m7"]  # three deleted, one of those received twice; one in flight
    assert counts == {"ApproximateNumberOfMessages": "4", "ApproximateNumberOfMessagesNotVisible": "1"}


def _head_deleted(seam: bool) -> tuple[list[str], list[str]]:
    """The head of a deeper queue received and deleted, as a poller does: the walk may stop at the last of them."""
    with _queue(seam, 30) as (sqs, url):
        head = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
        entries = [{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(head)]
        answer = sqs.delete_message_batch(QueueUrl=url, Entries=entries)
        left = [
            m["Body"]
            for _ in range(3)
            for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60).get("Messages", [])
        ]
        return sorted(entry["Id"] for entry in answer.get("Successful", [])), left


@pytest.mark.parametrize("seam", [True, False], ids=["seam", "moto"])
def test_deleting_the_head_of_a_queue_keeps_the_rest_in_order(seam: bool) -> None:
    succeeded, left = _head_deleted(seam)

    assert succeeded == sorted(str(n) for n in range(10))
    assert left == [f"m{n:02d}" for n in range(10, 30)]
