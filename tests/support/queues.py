"""Waiting on a stack's SQS queues."""

from __future__ import annotations

import time
from collections.abc import Iterable

from tests.support.stack import Stack

_COUNTS = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"]


def wait_until_empty(stack: Stack, queue_outputs: Iterable[str], timeout: float = 30) -> None:
    """Until the queues (named by their URLs' outputs) hold no message: none waiting, in flight or delayed. A
    message received and never deleted stays in flight until its visibility ends, so this fails then."""
    sqs, urls = stack.client("sqs"), [stack.outputs[output] for output in queue_outputs]
    deadline = time.monotonic() + timeout
    while any(
        int(value)
        for url in urls
        for value in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=_COUNTS)["Attributes"].values()
    ):
        assert time.monotonic() < deadline, f"{', '.join(queue_outputs)} never emptied"
        time.sleep(0.1)
