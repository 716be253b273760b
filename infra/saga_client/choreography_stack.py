"""A choreographed saga seen from outside (the chaos suite's view): whether it has ended (its saga log), its
events (the outbox items, each id `<sagaId>#<name>#<round>`), an event delivered again on the bus (what an
at-least-once bus may do at any time), a start that bypasses the API, the failed step attempts the services
logged, the sagas the sweeper compensated, and what is left in the dead-letter queues."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any

from checkout_saga.dal.outbox_starter import OutboxSagaStarter
from checkout_saga.saga_definition import CHECKOUT
from checkout_saga.saga_events import REACTIONS, SAGA_STALLED, SOURCE, TRANSITION_EVENTS, event_id
from saga_client.stack_data import StackData

COORDINATIONS = ("orchestration", "choreography")
EVENT_NAMES = tuple(dict.fromkeys([*REACTIONS, *TRANSITION_EVENTS.values()]))
# Each service's queue (template.yaml: `<service>EventsQueue`, its URL an output), the services from the definition.
SERVICE_QUEUES = tuple(
    f"{service}EventsQueueUrl"
    for service in dict.fromkeys(step.service for step in (*CHECKOUT.steps, CHECKOUT.gives_up))
)
_QUEUE_COUNTS = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
]
# Each with its dead-letter queue: a poisoned event (a saga its timer must find), a timer that kept failing (a saga
# the sweep must find).
REDRIVEN_QUEUES = (*SERVICE_QUEUES, "StalledSagaTimerQueueUrl")
ENDED = frozenset({"CONFIRMED", "CANCELLED", "COMPENSATION_FAILED"})


def is_choreographed(handle: str) -> bool:
    """What POST /checkout answered as `executionArn`: an ARN, or the id of a CheckoutRequested event."""
    return not handle.startswith("arn:")


def saga_status(stack: StackData, saga_id: str) -> str | None:
    saga = stack.saga_log.get(saga_id)
    return saga.status.value if saga is not None else None


def saga_events(stack: StackData, saga_id: str) -> list[dict[str, str]]:
    """The saga's first-round events written so far: [{"name", "detail"}], in the order of EVENT_NAMES."""
    table = stack.outputs["OutboxTableName"]
    keys = [{"eventId": {"S": event_id(saga_id, name, 0)}} for name in EVENT_NAMES]
    found: dict[str, str] = {}
    projection = {"ProjectionExpression": "#n, detail", "ExpressionAttributeNames": {"#n": "name"}}
    request: dict[str, Any] = {table: {"Keys": keys, **projection}}
    while request:
        response = stack.client("dynamodb").batch_get_item(RequestItems=request)
        for item in response["Responses"].get(table, []):
            found[item["name"]["S"]] = item["detail"]["S"]
        request = response.get("UnprocessedKeys") or {}
    return [{"name": name, "detail": found[name]} for name in EVENT_NAMES if name in found]


def redeliver(stack: StackData, event: dict[str, str]) -> None:
    """Put the event on the bus again, as the publisher did: every service that reacts to it gets it twice."""
    answer = stack.client("events").put_events(
        Entries=[
            {
                "Source": SOURCE,
                "DetailType": event["name"],
                "Detail": event["detail"],
                "EventBusName": stack.outputs["SagaEventBusName"],
            }
        ]
    )
    if answer.get("FailedEntryCount"):
        raise RuntimeError(f"the bus refused {event['name']}: {answer['Entries']}")


def wait_until_empty(stack: StackData, queue_outputs: Iterable[str] = SERVICE_QUEUES, timeout: float = 30) -> None:
    """Until the queues (named by their URLs' outputs) hold no message: none waiting, in flight or delayed: every
    event delivered to them consumed. A message received and never deleted stays in flight until its visibility
    ends, so this times out then."""
    sqs, urls = stack.client("sqs"), [stack.outputs[output] for output in queue_outputs]
    deadline = time.monotonic() + timeout
    while any(
        int(value)
        for url in urls
        for value in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=_QUEUE_COUNTS)["Attributes"].values()
    ):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{', '.join(queue_outputs)} never emptied in {timeout} s")
        time.sleep(0.1)


def start(stack: StackData, document: dict[str, Any], order_id: str) -> str:
    """Start a choreographed saga without the API (as a direct StartExecution does for the state machine)."""
    return OutboxSagaStarter(stack.outputs["SagaLogTableName"], stack.outbox).start(order_id, document)


def step_attempts(stack: StackData, saga_ids: Iterable[str]) -> tuple[Counter[tuple[str, str]], Counter[str]]:
    """(step, error) -> failed attempts, and step -> retried attempts, of these sagas, from the services' logs."""
    wanted = set(saga_ids)
    failed: Counter[tuple[str, str]] = Counter()
    retried: Counter[str] = Counter()
    logs = stack.client("logs")
    for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix="/aws/lambda/"):
        for group in page["logGroups"]:
            if not group["logGroupName"].endswith("ServiceFunction"):
                continue
            for events in logs.get_paginator("filter_log_events").paginate(logGroupName=group["logGroupName"]):
                for line in events["events"]:
                    entry = _json(line["message"])
                    if entry.get("message") != "step attempt failed" or entry.get("saga_id") not in wanted:
                        continue
                    failed[(str(entry["step"]), str(entry["error"]))] += 1
                    if entry.get("outcome") == "retried":
                        retried[str(entry["step"])] += 1
    return failed, retried


def swept(stack: StackData, saga_ids: Iterable[str]) -> list[str]:
    """The sagas compensated for standing still, by their timer or the sweeper (their failure is SagaStalled)."""
    found = []
    for saga_id in saga_ids:
        saga = stack.saga_log.get(saga_id)
        if saga is not None and saga.failure is not None and saga.failure.error == SAGA_STALLED:
            found.append(saga_id)
    return found


def dead_letters(stack: StackData) -> int:
    """Messages in the choreography's dead-letter queues."""
    sqs, total = stack.client("sqs"), 0
    for output in REDRIVEN_QUEUES:
        redrive = sqs.get_queue_attributes(QueueUrl=stack.outputs[output], AttributeNames=["RedrivePolicy"])
        target = json.loads(redrive["Attributes"]["RedrivePolicy"])["deadLetterTargetArn"]
        url = sqs.get_queue_url(QueueName=target.rsplit(":", 1)[1])["QueueUrl"]
        counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        total += int(counts["Attributes"]["ApproximateNumberOfMessages"])
    return total


def _json(message: str) -> dict[str, Any]:
    try:
        entry = json.loads(message)
    except ValueError:
        return {}
    return entry if isinstance(entry, dict) else {}
