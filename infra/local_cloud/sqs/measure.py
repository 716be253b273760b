"""The measurements of the SQS speed seams (``python -m local_cloud.measure send_attributes receive_retention
queue_counts batch_deletes visible_messages receipt_handles message_clock``): SendMessage to, ReceiveMessage from,
GetQueueAttributes of, and a poller's deletions in a queue that holds 2,000 messages (10,000 for the receive and the
drains that follow it), as a replay fills and drains the read model's queue while its client waits for it to empty."""

from __future__ import annotations

import json
from typing import Any

from local_cloud.measure import InProcessTrial, Measurement, in_process

QUEUE = "measure-queue"
_DEPTH = 2000
_SENDS_PER_ROUND = 50
_REPLAY_DEPTH = 10_000
_COUNTS_PER_ROUND = 5
_BATCH = 100
COUNTS = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed")


def _backend() -> Any:
    """moto's SQS backend the trial's queue is in: a poller calls it directly, for batches above 10."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends

    return sqs_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]


class SendToADeepQueue(InProcessTrial):
    depth = _DEPTH

    def __init__(self, runner: Any, measurement: Measurement) -> None:
        super().__init__(runner, measurement)
        self.url = self.sqs("CreateQueue", {"QueueName": QUEUE})["QueueUrl"]
        with self.arm(True):  # filled with every seam on: moto alone makes filling a queue quadratic
            for number in range(self.depth):
                self.sqs("SendMessage", {"QueueUrl": self.url, "MessageBody": json.dumps({"n": number})})

    def sqs(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.app.call("sqs", f"AmazonSQS.{operation}", body)

    def round(self) -> int:
        for number in range(_SENDS_PER_ROUND):
            self.sqs("SendMessage", {"QueueUrl": self.url, "MessageBody": json.dumps({"round": number})})
        return _SENDS_PER_ROUND


class ReceiveFromADeepQueue(SendToADeepQueue):
    """Batches of 100, as a poller takes them from a replay's 10,000 events; each message received stays in flight
    (visibility 12 hours), so the queue stays as deep and every round receives new ones."""

    depth = _REPLAY_DEPTH

    def round(self) -> int:
        return len(_backend().receive_message(QUEUE, _BATCH, 0, 43200)) or 1


class CountADeepQueue(SendToADeepQueue):
    """The three counts a client waiting for the queue to empty asks for."""

    def round(self) -> int:
        for _ in range(_COUNTS_PER_ROUND):
            self.sqs("GetQueueAttributes", {"QueueUrl": self.url, "AttributeNames": list(COUNTS)})
        return _COUNTS_PER_ROUND


class DrainADeepQueue(SendToADeepQueue):
    """What a poller does with a batch: receive 100, delete them (100 more sent before each round, untimed, keep the
    queue as deep)."""

    def round(self) -> int:
        received = _backend().receive_message(QUEUE, _BATCH, 0, 60)  # as a poller
        for start in range(0, len(received), 10):  # DeleteMessageBatch, 10 at a time
            batch = received[start : start + 10]
            entries = [{"Id": str(n), "ReceiptHandle": m.receipt_handle} for n, m in enumerate(batch)]
            self.sqs("DeleteMessageBatch", {"QueueUrl": self.url, "Entries": entries})
        return _BATCH

    def before_round(self) -> None:  # untimed: the queue as deep again
        for number in range(_BATCH):
            self.sqs("SendMessage", {"QueueUrl": self.url, "MessageBody": json.dumps({"refill": number})})


class DrainAReplay(DrainADeepQueue):
    """The same from a queue as deep as a replay of 10,000 events leaves it."""

    depth = _REPLAY_DEPTH


MEASUREMENTS = [
    Measurement(
        "send_attributes",
        f"SendMessage to a queue holding {_DEPTH:,} messages or more",
        "moto.sqs.models.Queue.attributes.fget",
        in_process(SendToADeepQueue),
    ),
    Measurement(
        "receive_retention",
        f"a poller's ReceiveMessage (per message, batches of {_BATCH}) from a queue holding {_REPLAY_DEPTH:,} messages",
        "moto.sqs.models.SQSBackend.is_message_valid_based_on_retention_period",
        in_process(ReceiveFromADeepQueue),
    ),
    Measurement(
        "queue_counts",
        f"GetQueueAttributes of the three message counts of a queue holding {_DEPTH:,} messages",
        "moto.sqs.models.SQSBackend.get_queue_attributes",
        in_process(CountADeepQueue),
    ),
    Measurement(
        "batch_deletes",
        f"a poller's batch of {_BATCH} from a queue holding {_DEPTH:,} messages: received and deleted (per message)",
        "moto.sqs.models.SQSBackend.delete_message_batch",
        in_process(DrainADeepQueue),
    ),
    Measurement(
        "visible_messages",
        f"a poller's batch of {_BATCH} from a queue holding {_REPLAY_DEPTH:,} messages: received and deleted"
        " (per message)",
        "moto.sqs.models.Queue.messages.fget",
        in_process(DrainAReplay),
    ),
    Measurement(
        "receipt_handles",
        f"a poller's batch of {_BATCH} from a queue holding {_REPLAY_DEPTH:,} messages: received and deleted"
        " (per message)",
        "moto.sqs.models.generate_receipt_handle",
        in_process(DrainAReplay),
    ),
    Measurement(
        "message_clock",
        f"a poller's batch of {_BATCH} from a queue holding {_REPLAY_DEPTH:,} messages: received and deleted"
        " (per message)",
        "moto.sqs.models.unix_time_millis",
        in_process(DrainAReplay),
    ),
]
