"""The measurement of the SQS speed seam (``python -m local_cloud.measure send_attributes``): SendMessage to a
queue that already holds 2,000 messages, as a replay fills the read model's queue."""

from __future__ import annotations

import json
from typing import Any

from local_cloud.measure import InProcessTrial, Measurement, in_process

QUEUE = "measure-queue"
_DEPTH = 2000
_SENDS_PER_ROUND = 50


class SendToADeepQueue(InProcessTrial):
    def __init__(self, runner: Any, measurement: Measurement) -> None:
        super().__init__(runner, measurement)
        self.url = self.sqs("CreateQueue", {"QueueName": QUEUE})["QueueUrl"]
        for number in range(_DEPTH):
            self.sqs("SendMessage", {"QueueUrl": self.url, "MessageBody": json.dumps({"n": number})})

    def sqs(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.app.call("sqs", f"AmazonSQS.{operation}", body)

    def round(self) -> int:
        for number in range(_SENDS_PER_ROUND):
            self.sqs("SendMessage", {"QueueUrl": self.url, "MessageBody": json.dumps({"round": number})})
        return _SENDS_PER_ROUND


MEASUREMENTS = [
    Measurement(
        "send_attributes",
        f"SendMessage to a queue holding {_DEPTH:,} messages or more",
        "moto.sqs.models.Queue.attributes.fget",
        in_process(SendToADeepQueue),
    ),
]
