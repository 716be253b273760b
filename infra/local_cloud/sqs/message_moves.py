"""SQS's dead-letter redrive, StartMessageMoveTask, which moto 5.2.5 does not implement.

On AWS a move task takes the messages of a dead-letter queue (``SourceArn``) and sends them to ``DestinationArn``,
or, without one, back to the queue they came from; it runs in the background and ``ListMessageMoveTasks`` reports
it. AWS refuses a source that is no SQS queue's dead-letter queue (``InvalidParameterValue``), and so does this.
Here a task moves every message visible when it starts, at once, inside the request: ``ListMessageMoveTasks``
then reports it COMPLETED with the count moved. A moved message is a new message on its destination (its receive
count starts again), with its body and message attributes; it leaves the dead-letter queue once it is sent.
Without a destination, the messages go back to the one queue that names the source as its dead-letter queue; a
source shared by several queues needs ``DestinationArn`` here (AWS reads each message's origin).

The seam adds the three operations to ``SQSResponse`` (moto dispatches an action to the method of its snake_case
name); the tasks are kept per source queue, as AWS lists them.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from local_cloud.seams import Installation, add

_MOVES_PER_RECEIVE = 10


@dataclass
class MoveTask:
    handle: str
    source_arn: str
    destination_arn: str
    started_ms: int
    moved: int
    to_move: int
    status: str = "COMPLETED"

    def listed(self) -> dict[str, Any]:
        return {
            "TaskHandle": self.handle,
            "Status": self.status,
            "SourceArn": self.source_arn,
            "DestinationArn": self.destination_arn,
            "ApproximateNumberOfMessagesMoved": self.moved,
            "ApproximateNumberOfMessagesToMove": self.to_move,
            "StartedTimestamp": self.started_ms,
        }


_tasks: dict[str, list[MoveTask]] = {}  # source queue ARN -> its tasks, newest first
_lock = threading.Lock()


def install() -> Installation:
    from moto.sqs.responses import SQSResponse

    return Installation(
        [
            add(SQSResponse, "start_message_move_task", _start_message_move_task),
            add(SQSResponse, "list_message_move_tasks", _list_message_move_tasks),
            add(SQSResponse, "cancel_message_move_task", _cancel_message_move_task),
        ]
    )


def start(backend: Any, source_arn: str, destination_arn: str | None) -> MoveTask:
    """Move every visible message of the dead-letter queue ``source_arn`` to its destination."""
    from moto.sqs.exceptions import InvalidParameterValue

    source = _queue(backend, source_arn, "SourceArn")
    origins = backend.list_dead_letter_source_queues(source.name)
    if not origins:
        raise InvalidParameterValue(f"Source queue {source_arn} is not a dead-letter queue of any SQS queue.")
    if destination_arn is None:
        if len(origins) != 1:
            raise InvalidParameterValue(
                f"{source_arn} is the dead-letter queue of {len(origins)} queues: name the DestinationArn."
            )
        destination = origins[0]
    else:
        destination = _queue(backend, destination_arn, "DestinationArn")
    with _lock:
        if any(task.status == "RUNNING" for task in _tasks.get(source.queue_arn, [])):
            raise InvalidParameterValue(f"A message move task is already running on {source_arn}.")
        task = MoveTask(
            handle=str(uuid.uuid4()),
            source_arn=source.queue_arn,
            destination_arn=destination.queue_arn,
            started_ms=int(time.time() * 1000),
            moved=0,
            to_move=0,
            status="RUNNING",
        )
        _tasks.setdefault(source.queue_arn, []).insert(0, task)
    try:
        while messages := backend.receive_message(source.name, _MOVES_PER_RECEIVE, 0, 30, ["All"]):
            task.to_move += len(messages)
            for message in messages:
                backend.send_message(destination.name, message.body, message_attributes=message.message_attributes)
                backend.delete_message(source.name, str(message.receipt_handle))
                task.moved += 1
    finally:
        task.status = "COMPLETED" if task.moved == task.to_move else "FAILED"
    return task


def listed(source_arn: str, max_results: int) -> list[dict[str, Any]]:
    with _lock:
        return [task.listed() for task in _tasks.get(source_arn, [])[:max_results]]


def _queue(backend: Any, arn: str, parameter: str) -> Any:
    from moto.sqs.exceptions import InvalidParameterValue

    queue = next((q for q in list(backend.queues.values()) if q.queue_arn == arn), None)
    if queue is None:
        raise InvalidParameterValue(f"{parameter} {arn} names no queue of this account and region.")
    return queue


def _start_message_move_task(self: Any) -> Any:
    from moto.core.responses import ActionResult

    task = start(self.sqs_backend, self._get_param("SourceArn"), self._get_param("DestinationArn"))
    return ActionResult({"TaskHandle": task.handle})


def _list_message_move_tasks(self: Any) -> Any:
    from moto.core.responses import ActionResult

    source = self._get_param("SourceArn")
    _queue(self.sqs_backend, source, "SourceArn")
    return ActionResult({"Results": listed(source, int(self._get_param("MaxResults") or 1))})


def _cancel_message_move_task(self: Any) -> Any:
    from moto.sqs.exceptions import InvalidParameterValue

    # Every task here completes inside its start request: none is left running to cancel, as AWS answers for a
    # task that has ended.
    handle = self._get_param("TaskHandle")
    raise InvalidParameterValue(f"Task {handle} is not running: only a running task can be cancelled.")
