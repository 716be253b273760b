"""`make replay SINCE=<ISO time> [UNTIL=<ISO time>]`: replay the saga events' archive to the bus (docs/events.md).

The replay goes to the read model's rule only (the destination's `FilterArns`), and EventBridge marks each replayed
event `replay-name`, which the services' rules refuse as well: a replay reserves, charges and refunds nothing; the
read model's rule takes it, so a replay rebuilds the read model. This starts the replay,
prints its state until it has ended, then waits until the read model's projector has consumed every event the
replay delivered to its queue: when it exits 0, the read model is rebuilt."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from saga_client.choreography_stack import wait_until_empty
from saga_client.stack_data import StackData

READ_MODEL_QUEUES = ("CustomerSummariesQueueUrl",)
READ_MODEL_RULES = ("CustomerSummariesRuleArn",)
_ENDED = {"COMPLETED", "FAILED", "CANCELLED"}


@dataclass(frozen=True)
class ReplayResult:
    name: str
    state: str
    seconds: float
    reason: str = ""


def parse_moment(text: str) -> datetime:
    """An ISO 8601 time; one without an offset is UTC. Raises ValueError naming the text otherwise."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 time: {text!r} (e.g. 2026-12-06T10:00:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def replay(
    stack: StackData,
    since: datetime,
    until: datetime | None = None,
    *,
    say: Callable[[str], None] = print,
    timeout: float = 300,
) -> ReplayResult:
    """Replay the archive's events of [since, until) (until: now) and wait until the read model has them."""
    until = until or datetime.now(UTC)
    if since >= until:
        raise ValueError(f"SINCE ({since.isoformat()}) must be before UNTIL ({until.isoformat()})")
    events = stack.client("events")
    name = f"replay-{datetime.now(UTC):%Y%m%dT%H%M%S%f}"
    started = time.monotonic()
    # The name is this call's own: if it exists, the SDK retried a request whose answer was lost, and it started.
    with contextlib.suppress(events.exceptions.ResourceAlreadyExistsException):
        events.start_replay(
            ReplayName=name,
            EventSourceArn=stack.outputs["SagaEventArchiveArn"],
            EventStartTime=since,
            EventEndTime=until,
            Destination={"Arn": stack.outputs["SagaEventBusArn"], **_read_models_only(stack.outputs)},
        )
    say(f"replay {name}: events of {since.isoformat()} to {until.isoformat()}")
    deadline = started + timeout
    state, seen = "STARTING", ""
    while True:
        described = events.describe_replay(ReplayName=name)
        state = described["State"]
        if state != seen:
            say(f"replay {name}: {state} after {time.monotonic() - started:.1f} s")
            seen = state
        if state in _ENDED:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"replay {name} still {state} after {timeout} s")
        time.sleep(0.2)
    if state != "COMPLETED":
        return ReplayResult(name, state, time.monotonic() - started, str(described.get("StateReason", "")))
    wait_until_empty(stack, READ_MODEL_QUEUES, timeout=max(1.0, deadline - time.monotonic()))
    seconds = time.monotonic() - started
    say(f"replay {name}: the read model has every replayed event after {seconds:.1f} s")
    return ReplayResult(name, state, seconds)


def _read_models_only(outputs: dict[str, str]) -> dict[str, list[str]]:
    """The read models' rules as the replay's only destinations; a stack deployed before it had their outputs gets
    the whole bus, whose services' rules refuse a replayed event anyway."""
    rules = [outputs[output] for output in READ_MODEL_RULES if output in outputs]
    return {"FilterArns": rules} if rules else {}
