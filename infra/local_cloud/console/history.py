"""One execution's history (GetExecutionHistory events) as the states it visited: when each was entered and
left, every attempt of its task (retries included) and how each ended, and where the saga failed.

Parallel and Map states are not expanded: events belong to the last state entered."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Event = dict[str, Any]
_ATTEMPT_STARTS = frozenset({"LambdaFunctionScheduled", "TaskScheduled", "ActivityScheduled"})
_ATTEMPT_SUCCEEDED = frozenset({"LambdaFunctionSucceeded", "TaskSucceeded", "ActivitySucceeded"})
_ATTEMPT_FAILED = frozenset(
    {
        "LambdaFunctionFailed",
        "LambdaFunctionTimedOut",
        "LambdaFunctionStartFailed",
        "LambdaFunctionScheduleFailed",
        "TaskFailed",
        "TaskTimedOut",
        "TaskStartFailed",
        "ActivityFailed",
        "ActivityTimedOut",
    }
)


@dataclass
class Attempt:
    started: datetime
    ended: datetime | None = None
    error: str | None = None
    cause: str | None = None

    def to_json(self, origin: datetime) -> dict[str, Any]:
        return {
            "startMs": _ms(origin, self.started),
            "durationMs": _ms(self.started, self.ended) if self.ended else None,
            "error": self.error,
            "cause": self.cause,
        }


@dataclass
class Visit:
    name: str
    type: str  # Task, Choice, Pass, Succeed, Fail, ...
    entered: datetime
    exited: datetime | None = None
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def caught(self) -> bool:
        """Left after its last attempt failed: a Catch took the saga elsewhere, or the execution failed there."""
        return self.exited is not None and bool(self.attempts) and self.attempts[-1].error is not None

    @property
    def retried(self) -> bool:
        return len(self.attempts) > 1

    def to_json(self, origin: datetime) -> dict[str, Any]:
        return {
            "state": self.name,
            "type": self.type,
            "enteredMs": _ms(origin, self.entered),
            "durationMs": _ms(self.entered, self.exited) if self.exited else None,
            "attempts": [attempt.to_json(origin) for attempt in self.attempts],
            "retries": max(0, len(self.attempts) - 1),
            "caught": self.caught,
        }


def visits(events: list[Event]) -> list[Visit]:
    found: list[Visit] = []
    for event in events:
        kind = str(event["type"])
        at: datetime = event["timestamp"]
        current = found[-1] if found else None
        if kind.startswith("Execution") and current is not None and current.exited is None:
            current.exited = at  # a Succeed or Fail state, or an uncaught error, ends the execution there
        elif kind.endswith("StateEntered"):
            found.append(Visit(str(details(event)["name"]), kind.removesuffix("StateEntered"), at))
        elif current is None:
            continue
        elif kind.endswith("StateExited"):
            current.exited = at
        elif kind in _ATTEMPT_STARTS:
            current.attempts.append(Attempt(at))
        elif current.attempts and (kind in _ATTEMPT_SUCCEEDED or kind in _ATTEMPT_FAILED):
            attempt = current.attempts[-1]
            attempt.ended = at
            if kind in _ATTEMPT_FAILED:
                found_details = details(event)
                attempt.error = str(found_details.get("error") or ("States.Timeout" if "TimedOut" in kind else kind))
                attempt.cause = readable_cause(found_details.get("cause"))
    return found


def failures(found: list[Visit]) -> list[dict[str, Any]]:
    """Each state the saga failed in, in order: the first is the step that failed, any later one an undo."""
    return [
        {"step": visit.name, "error": visit.attempts[-1].error, "cause": visit.attempts[-1].cause}
        for visit in found
        if visit.caught
    ]


def execution_end(events: list[Event]) -> dict[str, Any] | None:
    """How the execution ended: its status and, when it failed, the error and cause of its Fail state."""
    for event in reversed(events):
        kind = str(event["type"])
        if kind in ("ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"):
            found = details(event)
            return {
                "status": kind.removeprefix("Execution").upper(),
                "error": found.get("error"),
                "cause": found.get("cause"),
            }
    return None


def details(event: Event) -> dict[str, Any]:
    kind = str(event["type"])
    for suffix in ("StateEntered", "StateExited"):  # TaskStateEntered etc. share stateEnteredEventDetails
        if kind.endswith(suffix):
            kind = suffix
    found: dict[str, Any] = event.get(f"{kind[0].lower()}{kind[1:]}EventDetails", {})
    return found


def readable_cause(cause: Any) -> str | None:
    """A Lambda error's cause is its JSON error document: keep the message people wrote."""
    if cause is None:
        return None
    try:
        document = json.loads(cause)
    except (TypeError, ValueError):
        return str(cause)
    if isinstance(document, dict) and "errorMessage" in document:
        return str(document["errorMessage"])
    return str(cause)


def _ms(start: datetime, end: datetime) -> int:
    return round((end - start).total_seconds() * 1000)
