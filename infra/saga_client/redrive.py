"""`make redrive`: every dead-letter queue's messages back to the queue they came from, with SQS's own redrive
(StartMessageMoveTask), and per queue how many moved (docs/operations.md, "Dead letters and redrive").

The dead-letter queues are found from the stack: each queue among its outputs with a RedrivePolicy names its
own. A redriven event is consumed again by its service, whose steps are idempotent: what had happened changes
nothing, what had not happens once. The stream's on-failure queue holds no events but their place in the
outbox's stream, which no move task can send back: it is counted, not moved."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from saga_client.stack_data import StackData

STREAM_FAILURES = "PublishSagaEventsFailureQueueUrl"


@dataclass(frozen=True)
class Redriven:
    dead_letter_queue: str  # its name
    source_queue: str
    moved: int

    def line(self) -> str:
        return f"redrive: {self.dead_letter_queue} -> {self.source_queue}: {self.moved} moved"


def dead_letter_queues(stack: StackData) -> list[tuple[str, str]]:
    """(dead-letter queue ARN, source queue ARN) of every queue of the stack that has a redrive policy."""
    sqs, found = stack.client("sqs"), []
    for output, url in sorted(stack.outputs.items()):
        if not output.endswith("QueueUrl"):
            continue
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn", "RedrivePolicy"])["Attributes"]
        if "RedrivePolicy" in attributes:
            found.append((json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"], attributes["QueueArn"]))
    return found


def redrive(stack: StackData, timeout: float = 60.0) -> list[Redriven]:
    """Move each dead-letter queue's messages back to its source; wait for each task to end."""
    sqs, results = stack.client("sqs"), []
    for dead_letter_arn, source_arn in dead_letter_queues(stack):
        handle = sqs.start_message_move_task(SourceArn=dead_letter_arn, DestinationArn=source_arn)["TaskHandle"]
        task = _wait(sqs, dead_letter_arn, handle, timeout)
        if task["Status"] != "COMPLETED":
            raise RuntimeError(f"the redrive of {dead_letter_arn} ended {task['Status']}: {task.get('FailureReason')}")
        moved = int(task["ApproximateNumberOfMessagesMoved"])
        results.append(Redriven(_name(dead_letter_arn), _name(source_arn), moved))
    return results


def stream_failures(stack: StackData) -> int:
    """Batches of the outbox's stream the publisher gave up on (their records are in the on-failure queue)."""
    url = stack.outputs.get(STREAM_FAILURES)
    if url is None:
        return 0
    counts = stack.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(counts["Attributes"]["ApproximateNumberOfMessages"])


def _task(sqs: Any, source_arn: str, handle: str) -> dict[str, Any] | None:
    tasks = sqs.list_message_move_tasks(SourceArn=source_arn, MaxResults=10)["Results"]
    task = next((t for t in tasks if t.get("TaskHandle") == handle), None)
    return task if task is not None and task["Status"] not in ("RUNNING", "CANCELLING") else None


def _wait(sqs: Any, source_arn: str, handle: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (task := _task(sqs, source_arn, handle)) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"a message move task still runs after {timeout:.0f} s")
        time.sleep(0.5)
    return task


def _name(queue_arn: str) -> str:
    return queue_arn.rsplit(":", 1)[1]
