"""Reading Step Functions execution histories (pure functions over `get_execution_history` events): what
each Task state was scheduled with, which attempts failed with which error, and how many retries ran."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

Event = dict[str, Any]

# Error names raised by fault injection (checkout_saga.faults), by mode.
INJECTED = {"InjectedFailure": "fail", "TransientStepError": "transient"}
_SCHEDULED = ("LambdaFunctionScheduled", "TaskScheduled")
_FAILED = ("LambdaFunctionFailed", "LambdaFunctionTimedOut", "LambdaFunctionStartFailed", "TaskFailed", "TaskTimedOut")


@dataclass(frozen=True)
class Scheduled:
    """One attempt of a Task: the state, the Lambda it invoked and the exact input it gave it."""

    state: str
    resource: str
    input: str


def _details(event: Event) -> dict[str, Any]:
    kind = str(event["type"])
    details: dict[str, Any] = event.get(f"{kind[0].lower()}{kind[1:]}EventDetails", {})
    return details


def _with_state(events: Iterable[Event]) -> Iterator[tuple[str, Event]]:
    """Each event with the state it happened in (the last one entered: the checkout saga has no Parallel)."""
    state = ""
    for event in events:
        if str(event["type"]).endswith("StateEntered"):
            state = str(event["stateEnteredEventDetails"]["name"])
        yield state, event


def current_state(events: Iterable[Event]) -> str:
    """The state the execution last entered ("" before its first)."""
    entered = [state for state, _event in _with_state(events)]
    return entered[-1] if entered else ""


def scheduled(events: Iterable[Event]) -> list[Scheduled]:
    found = []
    for state, event in _with_state(events):
        if event["type"] in _SCHEDULED:
            details = _details(event)
            found.append(
                Scheduled(state, str(details["resource"]), str(details.get("input", details.get("parameters"))))
            )
    return found


def failed_attempts(events: Iterable[Event]) -> Counter[tuple[str, str]]:
    """(state, error name) -> how many attempts failed so; a timeout counts as States.Timeout."""
    counted: Counter[tuple[str, str]] = Counter()
    for state, event in _with_state(events):
        if event["type"] in _FAILED:
            error = _details(event).get("error") or ("States.Timeout" if "TimedOut" in event["type"] else "?")
            counted[(state, str(error))] += 1
    return counted


def retries(events: Iterable[Event]) -> Counter[str]:
    """state -> attempts beyond the first of each entry into it (Retry at work)."""
    entered: Counter[str] = Counter()
    attempts: Counter[str] = Counter()
    for state, event in _with_state(events):
        if str(event["type"]).endswith("StateEntered"):
            entered[state] += 1
        elif event["type"] in _SCHEDULED:
            attempts[state] += 1
    return Counter({state: attempts[state] - entered[state] for state in attempts if attempts[state] > entered[state]})
