"""Event source mappings run as Lambda runs them: asynchronously, by pollers, with the function's role.

moto 5.2.5 keeps SQS and DynamoDB-stream mappings but calls their function synchronously from inside the write
that produced the records (``Queue.add_message``, ``StreamShard.add``): the sender waits for the consumer, a
chain of events nests one request inside another, a failure is never retried and a dead-letter queue never
fills. The seam is ``LambdaBackend.create_event_source_mapping``: moto's own runs, then the mapping is taken
off the queue or table it registered itself on (``lambda_event_source_mappings``), so no write invokes
anything; the mapping stays in the backend, where ``EventSourcePollers`` find it. They do what Lambda's do:

- **SQS**: receive up to BatchSize messages (moto's ReceiveMessage: the visibility timeout, the receive count
  and the redrive to the dead-letter queue at maxReceiveCount are moto's), invoke the function with them, then
  delete what succeeded: all of the batch, or with ``ReportBatchItemFailures`` all but the items the function
  names; a failed invocation deletes nothing (the messages come back when their visibility ends).
- **DynamoDB streams**: read the table's stream from TRIM_HORIZON (or LATEST) in order, BatchSize records at a
  time; a failed batch is retried (up to MaximumRetryAttempts, -1: until it succeeds) before the poller moves on.
  With ``BisectBatchOnFunctionError`` a failed batch is split in two and the halves retried (a split is no retry);
  a record older than ``MaximumRecordAgeInSeconds`` is not sent again. A batch given up on is not lost silently:
  with ``DestinationConfig.OnFailure`` (an SQS queue) the poller sends it what Lambda sends, the batch's place in
  the stream (``DDBStreamBatchInfo``), with the function's role, which must allow ``sqs:SendMessage`` there (a
  mapping whose role does not is refused when it is created, as Lambda refuses it).

Each read and delete is authorized with the function's execution role, as the mapping's are on AWS
(``sqs:ReceiveMessage``, ``GetQueueAttributes`` and ``DeleteMessage`` on the queue, as AWS's SQS poller needs
them; ``dynamodb:DescribeStream``, ``GetShardIterator`` and
``GetRecords`` on the stream, which a stream's poller calls on AWS). A stream's mapping is refused when it is
created unless the role also allows ``dynamodb:ListStreams`` on the stream, and a queue's unless it allows
``sqs:ReceiveMessage``, ``DeleteMessage`` and ``GetQueueAttributes`` on the queue, as Lambda refuses them; the function
is invoked through moto's Lambda backend, i.e. our runner, its reserved concurrency and role credentials.
"""

from __future__ import annotations

import datetime
import json
import logging
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from typing import Any

from local_cloud.dynamodb.patches import DYNAMODB_LOCK
from local_cloud.iam.policies import AccessDenied, authorize_role, role_name
from local_cloud.seams import Installation, replace, require_signature

_log = logging.getLogger(__name__)
SQS_CONCURRENCY = 4  # batches of one queue in flight at once (Lambda starts with 5 pollers per queue)
# A stream poller with nothing new sleeps until a write adds a record (``StreamShard.add`` wakes it), or this long,
# to see a mapping disabled or deleted meanwhile.
_IDLE_SECONDS = 1.0
_RETRY_SECONDS = 0.5  # a stream batch's pause before it is retried
_DELETE_BATCH = 10  # DeleteMessageBatch takes at most 10 entries


class _StreamWrites:
    """How many records each stream shard was given so far, and a wait for its next one: an idle stream poller
    sleeps until a write to its own stream wakes it, instead of waking every few milliseconds to find nothing.
    Kept beside the shards, not on them: moto deep-copies a table (and its shard) for a backup."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._shards: weakref.WeakKeyDictionary[Any, tuple[threading.Condition, list[int]]] = (
            weakref.WeakKeyDictionary()
        )

    def count(self, shard: Any) -> int:
        condition, added = self._of(shard)
        with condition:
            return added[0]

    def added(self, shard: Any) -> None:
        condition, added = self._of(shard)
        with condition:
            added[0] += 1
            condition.notify_all()

    def wait_past(self, shard: Any, seen: int, timeout: float) -> None:
        condition, added = self._of(shard)
        with condition:
            condition.wait_for(lambda: added[0] != seen, timeout)

    def _of(self, shard: Any) -> tuple[threading.Condition, list[int]]:
        with self._lock:
            state = self._shards.get(shard)
            if state is None:
                state = self._shards[shard] = (threading.Condition(), [0])
            return state


STREAM_WRITES = _StreamWrites()


def install() -> Installation:
    from moto.awslambda.exceptions import InvalidParameterValueException
    from moto.awslambda.models import LambdaBackend
    from moto.dynamodb.models.table import StreamShard

    original = LambdaBackend.create_event_source_mapping
    require_signature(original, ["self", "spec"], "LambdaBackend.create_event_source_mapping")
    original_add = StreamShard.add
    require_signature(original_add, ["self", "old", "new"], "StreamShard.add")

    def add(self: Any, old: Any, new: Any) -> None:
        original_add(self, old, new)
        STREAM_WRITES.added(self)

    def create_event_source_mapping(self: Any, spec: dict[str, Any]) -> Any:
        esm = original(self, spec)
        detach_synchronous_delivery(self.account_id, self.region_name, esm)
        esm.function_arn = mapped_function_arn(str(spec["FunctionName"]), esm.function_arn)
        if ":dynamodb:" in esm.event_source_arn and not all(
            _allowed(self, esm, action, esm.event_source_arn) for action in STREAM_ACCESS
        ):
            self.delete_event_source_mapping(esm.uuid)
            raise InvalidParameterValueException(
                f"Cannot access stream {esm.event_source_arn}. Please ensure the role can perform the GetRecords, "
                "GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM."
            )
        if ":sqs:" in esm.event_source_arn:
            missing = next((a for a in QUEUE_ACCESS if not _allowed(self, esm, a, esm.event_source_arn)), None)
            if missing is not None:
                self.delete_event_source_mapping(esm.uuid)
                raise InvalidParameterValueException(
                    f"The provided execution role does not have permissions to call {missing.split(':')[1]} on SQS"
                )
        destination = _on_failure_destination(esm)
        if destination and ":sqs:" in destination and not _allowed(self, esm, "sqs:SendMessage", destination):
            self.delete_event_source_mapping(esm.uuid)
            raise InvalidParameterValueException(
                f"The provided execution role does not have permissions to call SendMessage on {destination}"
            )
        return esm

    return Installation(
        [
            replace(LambdaBackend, "create_event_source_mapping", create_event_source_mapping),
            replace(StreamShard, "add", add),
        ]
    )


def mapped_function_arn(named: str, resolved_arn: str) -> str:
    """What a mapping invokes, as Lambda keeps it: the function as named, an alias included. moto resolves an alias to
    the version it points at when the mapping is created (``resolved_arn``), so a mapping of ``function:live`` would
    go on invoking that version after the alias moved."""
    qualifier = named.split(":function:", 1)[-1].split(":")[1:] if ":function:" in named else named.split(":")[1:]
    if not qualifier:
        return resolved_arn
    unqualified = ":".join(resolved_arn.split(":")[:7])
    return f"{unqualified}:{qualifier[0]}"


def detach_synchronous_delivery(account_id: str, region: str, esm: Any) -> None:
    """Take the mapping off the queue or table that would call it from inside a write."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.sqs.models import sqs_backends

    for queue in sqs_backends[account_id][region].queues.values():
        queue.lambda_event_source_mappings.pop(esm.function_arn, None)
    for table in dynamodb_backends[account_id][region].tables.values():
        if getattr(table, "lambda_event_source_mappings", None):
            table.lambda_event_source_mappings.pop(esm.function_arn, None)


Invoke = Callable[[Any, Any, dict[str, Any]], tuple[bool, dict[str, Any] | None]]


def invoke_function(backend: Any, function_arn: str, event: dict[str, Any]) -> tuple[bool, dict[str, Any] | None]:
    """Invoke through moto's Lambda backend (our runner); (succeeded, the function's JSON result)."""
    response_headers: dict[str, Any] = {}
    try:
        result = backend.invoke(function_arn, None, json.dumps(event, default=_json_default), {}, response_headers)
    except Exception as exc:  # throttled (reserved concurrency), or the function is gone: try again later
        _log.info("invoking %s failed: %s", function_arn, exc)
        return False, None
    if "x-amz-function-error" in response_headers:
        return False, None
    try:
        answer = json.loads(result or b"null")
    except ValueError:
        answer = None
    return True, answer if isinstance(answer, dict) else None


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    raise TypeError(f"{type(value).__name__} is not JSON")


# What reading a queue takes: its attributes (the poller reads them), its messages.
QUEUE_READ = ("sqs:GetQueueAttributes", "sqs:ReceiveMessage")
# What Lambda checks the role allows on the queue when the mapping is created (it refuses the mapping otherwise).
QUEUE_ACCESS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
# What reading a stream takes: its shards, an iterator into one, its records.
STREAM_READ = ("dynamodb:DescribeStream", "dynamodb:GetShardIterator", "dynamodb:GetRecords")
# What Lambda checks the role allows on the stream when the mapping is created (it refuses the mapping otherwise).
STREAM_ACCESS = (*STREAM_READ, "dynamodb:ListStreams")


def _allowed(backend: Any, esm: Any, action: str, resource: str) -> bool:
    function = backend.get_function(esm.function_arn)
    principal = f"arn:aws:sts::{backend.account_id}:assumed-role/{role_name(function.role)}/{function.function_name}"
    try:
        authorize_role(function.role, principal, action, resource)
        return True
    except AccessDenied as exc:
        _log.warning("event source mapping %s: %s", esm.uuid, exc)
        return False


class EventSourcePollers:
    """Finds the enabled mappings of every account and region and keeps pollers running for each."""

    def __init__(self, invoke: Invoke | None = None, scan_seconds: float = 0.2) -> None:
        self._invoke = invoke or (lambda backend, esm, event: invoke_function(backend, esm.function_arn, event))
        self._scan_seconds = scan_seconds
        self._stop = threading.Event()
        self._running: dict[str, list[threading.Thread]] = {}
        self._scanner: threading.Thread | None = None

    def start(self) -> EventSourcePollers:
        self._scanner = threading.Thread(target=self._scan, name="esm-scanner", daemon=True)
        self._scanner.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for threads in [*self._running.values(), [self._scanner] if self._scanner else []]:
            for thread in threads:
                thread.join(timeout=5)

    def _scan(self) -> None:
        while not self._stop.wait(self._scan_seconds):
            for backend, esm in _mappings():
                if esm.uuid in self._running:
                    continue
                service = esm.event_source_arn.split(":")[2]
                if service == "sqs":
                    targets = [self._poll_queue] * SQS_CONCURRENCY
                elif service == "dynamodb":
                    targets = [self._poll_stream]
                else:
                    continue
                threads = [
                    threading.Thread(target=target, args=(backend, esm), name=f"esm-{esm.uuid[:8]}-{n}", daemon=True)
                    for n, target in enumerate(targets)
                ]
                self._running[esm.uuid] = threads
                for thread in threads:
                    thread.start()

    def _active(self, backend: Any, esm: Any) -> bool:
        return not self._stop.is_set() and backend.get_event_source_mapping(esm.uuid) is esm

    # ------------------------------------------------------------------ SQS
    def _poll_queue(self, backend: Any, esm: Any) -> None:
        from moto.sqs.models import sqs_backends

        while self._active(backend, esm):
            if not esm.enabled:
                time.sleep(self._scan_seconds)
                continue
            sqs = sqs_backends[backend.account_id][backend.region_name]
            queue = next((q for q in list(sqs.queues.values()) if q.queue_arn == esm.event_source_arn), None)
            if queue is None or not all(_allowed(backend, esm, action, esm.event_source_arn) for action in QUEUE_READ):
                time.sleep(1)
                continue
            messages = sqs.receive_message(queue.name, esm.batch_size, 1, int(queue.visibility_timeout))  # type: ignore[attr-defined]
            if not messages:
                continue
            if not esm.enabled:  # disabled during the long poll: give them back untouched
                for message in messages:
                    sqs.change_message_visibility(queue.name, str(message.receipt_handle), 0)
                continue
            event = {"Records": [_sqs_record(message, queue, backend.region_name) for message in messages]}
            succeeded, answer = self._invoke(backend, esm, event)
            if not succeeded:
                continue  # nothing deleted: each message comes back when its visibility ends
            failed = _batch_item_failures(esm, answer) if succeeded else set()
            if not _allowed(backend, esm, "sqs:DeleteMessage", esm.event_source_arn):
                continue
            done = [m for m in messages if m.id not in failed]
            for start in range(0, len(done), _DELETE_BATCH):  # as Lambda's pollers: DeleteMessageBatch
                batch = done[start : start + _DELETE_BATCH]
                sqs.delete_message_batch(queue.name, [{"Id": m.id, "ReceiptHandle": m.receipt_handle} for m in batch])

    # ------------------------------------------------------- DynamoDB streams
    def _poll_stream(self, backend: Any, esm: Any) -> None:
        position: int | None = None
        failures = 0
        size = esm.batch_size  # smaller while a failed batch is bisected
        while self._active(backend, esm):
            shard = _stream_shard(backend, esm.event_source_arn)
            if shard is None or not esm.enabled:
                time.sleep(self._scan_seconds)
                continue
            if position is None:  # LATEST: what is written from now on; TRIM_HORIZON: all that is kept
                position = len(shard.items) if esm.starting_position == "LATEST" else 0
            seen = STREAM_WRITES.count(shard)  # before the read: a record added after it wakes the wait below
            with DYNAMODB_LOCK:  # never a record of a transaction still running (it may be cancelled)
                records = shard.items[position : position + size]
            if not records:
                STREAM_WRITES.wait_past(shard, seen, _IDLE_SECONDS)
                continue
            if not all(_allowed(backend, esm, action, esm.event_source_arn) for action in STREAM_READ):
                time.sleep(1)
                continue
            event = {"Records": [{**record.to_json(), "eventSourceARN": esm.event_source_arn} for record in records]}
            succeeded, _answer = self._invoke(backend, esm, event)
            if succeeded:
                position, failures, size = position + len(records), 0, esm.batch_size
                continue
            if esm.bisect_on_error and len(records) > 1:
                size = (len(records) + 1) // 2
                continue
            retries = esm.max_retry_attempts if esm.max_retry_attempts is not None else -1
            if (retries >= 0 and failures >= retries) or _too_old(esm, records):
                _log.warning("event source mapping %s: batch given up after %d retries", esm.uuid, failures)
                send_to_on_failure(backend, esm, shard, records, failures)
                position, failures, size = position + len(records), 0, esm.batch_size
            else:
                failures += 1
                time.sleep(_RETRY_SECONDS)


def _on_failure_destination(esm: Any) -> str | None:
    destination = ((esm.destination_config or {}).get("OnFailure") or {}).get("Destination")
    return str(destination) if destination else None


def _too_old(esm: Any, records: list[Any]) -> bool:
    """Whether the batch's oldest record is past the mapping's MaximumRecordAgeInSeconds (-1 or none: never)."""
    max_age = int(esm.max_record_age) if esm.max_record_age is not None else -1
    if max_age < 0:
        return False
    return time.time() - _created(records[0]) > max_age


def _created(record: Any) -> float:
    """A stream record's creation time (moto keeps a naive UTC datetime)."""
    created = record.record["dynamodb"]["ApproximateCreationDateTime"]
    if isinstance(created, datetime.datetime):
        return created.replace(tzinfo=created.tzinfo or datetime.UTC).timestamp()
    return float(created)


def send_to_on_failure(backend: Any, esm: Any, shard: Any, records: list[Any], retries: int) -> None:
    """Lambda's on-failure record for a stream batch it gave up on, to the mapping's SQS destination."""
    from moto.sqs.models import sqs_backends

    destination = _on_failure_destination(esm)
    if not destination:
        return
    if not _allowed(backend, esm, "sqs:SendMessage", destination):
        _log.warning("event source mapping %s: its role may not send to %s: the record is lost", esm.uuid, destination)
        return
    arrivals = [datetime.datetime.fromtimestamp(_created(record), datetime.UTC).isoformat() for record in records]
    failure = {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": esm.function_arn,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": retries + 1,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": datetime.datetime.now(datetime.UTC).isoformat(),
        "DDBStreamBatchInfo": {
            "shardId": shard.id,
            "startSequenceNumber": records[0].record["dynamodb"]["SequenceNumber"],
            "endSequenceNumber": records[-1].record["dynamodb"]["SequenceNumber"],
            "approximateArrivalOfFirstRecord": arrivals[0],
            "approximateArrivalOfLastRecord": arrivals[-1],
            "batchSize": len(records),
            "streamArn": esm.event_source_arn,
        },
    }
    sqs = sqs_backends[backend.account_id][backend.region_name]
    sqs.send_message(destination.split(":")[-1], json.dumps(failure))


def _mappings() -> list[tuple[Any, Any]]:
    from moto.awslambda.models import lambda_backends

    found = []
    for _account, regions in list(lambda_backends.items()):
        for _region, backend in list(regions.items()):
            found += [(backend, esm) for esm in list(backend._event_source_mappings.values())]
    return found


def _stream_shard(backend: Any, stream_arn: str) -> Any:
    from moto.dynamodb.models import dynamodb_backends

    tables = dynamodb_backends[backend.account_id][backend.region_name].tables
    for table in list(tables.values()):
        if (
            getattr(table, "stream_shard", None) is not None
            and table.latest_stream_label
            and stream_arn.endswith(f"table/{table.name}/stream/{table.latest_stream_label}")
        ):
            return table.stream_shard
    return None


def _sqs_record(message: Any, queue: Any, region: str) -> dict[str, Any]:
    return {
        "messageId": message.id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": {
            "ApproximateReceiveCount": str(message.approximate_receive_count),
            "SentTimestamp": str(message.sent_timestamp),
            "SenderId": str(getattr(message, "sender_id", "")),
            "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
        },
        "messageAttributes": {},
        "md5OfBody": message.body_md5,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue.queue_arn,
        "awsRegion": region,
    }


def _batch_item_failures(esm: Any, answer: dict[str, Any] | None) -> set[str]:
    """The items the function reported failed (ReportBatchItemFailures); otherwise none: the batch succeeded."""
    if "ReportBatchItemFailures" not in (esm.function_response_types or []) or not answer:
        return set()
    return {str(item.get("itemIdentifier")) for item in answer.get("batchItemFailures") or []}
