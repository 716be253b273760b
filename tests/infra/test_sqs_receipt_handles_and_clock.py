"""The SQS seams `receipt_handles` and `message_clock` (local_cloud/sqs/): a receipt handle is drawn at once, in the
form moto gives it, and identifies its receipt alone; the clock read as a number keeps every timing SQS applies (a
receipt's visibility, a message's delay, the times a message reports)."""

from __future__ import annotations

import importlib
import string
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.utils import unix_time, unix_time_millis

from local_cloud.seams import is_ours
from local_cloud.sqs import patches

sqs_models: Any = importlib.import_module("moto.sqs.models")  # its imported names, which the seams replace


@pytest.fixture
def sqs() -> Iterator[Any]:
    with mock_aws(), patches.install_all():
        yield boto3.client("sqs", region_name="us-east-1")


def test_each_receipt_gets_its_own_handle_of_moto_s_form_and_deletes_its_message(sqs: Any) -> None:
    assert is_ours(sqs_models.generate_receipt_handle)
    url = sqs.create_queue(QueueName="handles")["QueueUrl"]
    for number in range(300):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{number}")
    handles = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages"):
        handles += [m["ReceiptHandle"] for m in messages]
        if len(handles) >= 600:  # each message received twice: a new handle each time
            break

    assert len(set(handles)) == len(handles) == 600
    assert all(len(h) == 185 and set(h) <= set(string.ascii_lowercase) for h in handles)
    fresh = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60)["Messages"]
    for message in fresh:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "290"


def test_the_clock_is_the_same_number_and_a_given_time_still_goes_to_moto() -> None:
    with mock_aws(), patches.install_all():
        assert is_ours(sqs_models.unix_time_millis)
        assert is_ours(sqs_models.unix_time)
        before = time.time()
        now_ms, now_s = sqs_models.unix_time_millis(), sqs_models.unix_time()
        after = time.time()
        moment = datetime(2026, 12, 7, 12, 0, tzinfo=UTC).replace(tzinfo=None)

        assert before * 1000 <= now_ms <= after * 1000
        assert before <= now_s <= after
        assert sqs_models.unix_time_millis(moment) == unix_time_millis(moment) == 1796644800000.0
        assert sqs_models.unix_time(moment) == unix_time(moment)
    assert not is_ours(sqs_models.unix_time_millis)  # uninstalled with the others


def test_visibility_and_delay_keep_their_timing(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="timed")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    sqs.send_message(QueueUrl=url, MessageBody="now")
    sent = time.time()

    (first,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=1)["Messages"]
    assert first["Body"] == "now"
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []  # one delayed, one held
    time.sleep(max(0.0, sent + 1.2 - time.time()))
    again = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["SentTimestamp", "ApproximateReceiveCount"]
    )["Messages"]

    assert sorted(m["Body"] for m in again) == ["later", "now"]
    for message in again:
        assert abs(int(message["Attributes"]["SentTimestamp"]) / 1000 - sent) < 1.0
    assert {m["Body"]: m["Attributes"]["ApproximateReceiveCount"] for m in again} == {"later": "1", "now": "2"}
