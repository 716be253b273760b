"""The SQS seam `queue_counts` (local_cloud/sqs/queue_counts.py): GetQueueAttributes answers exactly as moto's
does, waiting, in-flight and delayed messages counted, named attributes or all, an unknown name refused, while it
computes the queue's attributes once per request."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.sqs.models import Queue

from local_cloud.sqs import queue_counts
from local_cloud.sqs.measure import COUNTS

NAMED = [*COUNTS, "VisibilityTimeout", "FifoQueue", "ContentBasedDeduplication"]


def _answers(sqs: Any, urls: list[str]) -> list[dict[str, str]]:
    return [
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        for url in urls
        for names in (["All"], NAMED, list(COUNTS[:1]))
    ]


def test_the_answers_are_motos_and_the_queue_is_computed_once_per_request(monkeypatch: pytest.MonkeyPatch) -> None:
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        plain = sqs.create_queue(QueueName="plain")["QueueUrl"]
        fifo = sqs.create_queue(QueueName="q.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        for number in range(6):
            sqs.send_message(QueueUrl=plain, MessageBody=f"m{number}", DelaySeconds=600 if number < 2 else 0)
            sqs.send_message(
                QueueUrl=fifo, MessageBody=f"f{number}", MessageGroupId="g", MessageDeduplicationId=str(number)
            )
        sqs.receive_message(QueueUrl=plain, MaxNumberOfMessages=3, VisibilityTimeout=600)  # three in flight
        motos = _answers(sqs, [plain, fifo])
        with queue_counts.install():
            computed: list[str] = []
            every: Any = Queue.__dict__["attributes"].fget

            def computing(queue: Any) -> Any:
                computed.append(queue.name)
                return every(queue)

            monkeypatch.setattr(Queue, "attributes", property(computing))
            ours = _answers(sqs, [plain, fifo])
            with pytest.raises(ClientError, match="InvalidAttributeName"):
                sqs.get_queue_attributes(QueueUrl=plain, AttributeNames=["ApproximateNumberOfMessages", "Nope"])

    assert ours == motos
    assert (motos[0]["ApproximateNumberOfMessages"], motos[0]["ApproximateNumberOfMessagesNotVisible"]) == ("1", "3")
    assert motos[0]["ApproximateNumberOfMessagesDelayed"] == "2"
    assert len(computed) == 6  # one computation per request
