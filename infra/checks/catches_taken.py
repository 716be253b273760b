"""Which Catches an execution took, read from its history: the coverage `make check-catches` runs on.

A Catch removed changes only the executions that took it: an error its state's earlier Catches did not match, and
it did. So the tests whose executions took a Catch are the ones to run first without it (the whole suite still
decides when they all pass). A Catch is named as check_catches names it: ``<state>: Catch [<errors>] -> <next>``."""

from __future__ import annotations

from typing import Any

ENVIRONMENT = "CATCHES_TAKEN"  # set to a file: the state machine tests append each test's Catches to it


def catch_name(state: str, catch: dict[str, Any]) -> str:
    return f"{state}: Catch {catch['ErrorEquals']} -> {catch['Next']}"


def catches_taken(definition: dict[str, Any], events: list[dict[str, Any]]) -> set[str]:
    """The Catches of `definition` that an execution whose history is `events` took."""
    taken: set[str] = set()
    state, error = "", None  # the state running, and its last error not yet retried away
    for event in events:
        kind = event["type"]
        if kind.endswith("StateEntered"):
            entered = event["stateEnteredEventDetails"]["name"]
            catch = _matching(definition, state, error) if error is not None else None
            if catch is not None and catch["Next"] == entered:
                taken.add(catch_name(state, catch))
            state, error = entered, None
        elif kind.endswith("Succeeded") and kind != "ExecutionSucceeded":
            error = None  # a retry worked
        else:
            details = next((value for key, value in event.items() if key.endswith("EventDetails")), None)
            if isinstance(details, dict) and "error" in details and not kind.startswith("Execution"):
                error = str(details["error"])
    return taken


def _matching(definition: dict[str, Any], state: str, error: str) -> dict[str, Any] | None:
    """The state's first Catch that matches `error`, as Step Functions picks it."""
    catches: list[dict[str, Any]] = definition.get("States", {}).get(state, {}).get("Catch", [])
    for catch in catches:
        names = catch["ErrorEquals"]
        if error in names or "States.ALL" in names or ("States.TaskFailed" in names and error != "States.Timeout"):
            return catch
    return None
