"""The state machines' own Retry and Catch rules, read from statemachine/*.asl.json: a walker of the states the
ASL files use (Choice on IsPresent, Pass, Task, Succeed, Fail) that invokes each Task's step handler through a
callback. Only what decides the saga's path is interpreted; timings (IntervalSeconds, backoff, jitter) are the
scheduler's business: a retry waits for nothing but its turn."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from simulator.world import ROOT

MACHINES = {
    "checkout": ROOT / "statemachine" / "checkout.asl.json",
    "return": ROOT / "statemachine" / "return.asl.json",
}
_FUNCTION_ARN = re.compile(r'"\$\{(\w+)FunctionArn\}"')
_PARAMETER = re.compile(r"\$\{(\w+)\}")


class TaskFailed(Exception):
    """A Task's error as Step Functions sees it: its name (a Lambda error's class name, or States.Timeout...)."""

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(error)
        self.error, self.cause = error, cause


@dataclass(frozen=True)
class Ending:
    state: str  # the Succeed or Fail state reached
    error: str | None  # a Fail state's Error
    output: dict[str, Any]


Invoke = Callable[[str, dict[str, Any], int], dict[str, Any]]  # (step, input, attempt) -> output; raises TaskFailed


def load(kind: str, parameters: Mapping[str, str]) -> dict[str, Any]:
    """The ASL with its template substitutions: each Task's Resource becomes its step's name."""
    text = _FUNCTION_ARN.sub(lambda m: json.dumps(m.group(1)), MACHINES[kind].read_text(encoding="utf-8"))
    machine: dict[str, Any] = json.loads(_PARAMETER.sub(lambda m: str(parameters[m.group(1)]), text))
    return machine


def run(machine: dict[str, Any], document: dict[str, Any], execution_name: str, invoke: Invoke) -> Ending:
    states, name = machine["States"], machine["StartAt"]
    while True:
        state = states[name]
        kind = state["Type"]
        if kind == "Succeed":
            return Ending(name, None, document)
        if kind == "Fail":
            return Ending(name, state["Error"], document)
        if kind == "Choice":
            name = _choose(state, document)
        elif kind == "Pass":
            if "Parameters" in state:
                document = _parameters(state["Parameters"], document, execution_name)
            if "Result" in state:
                document = _put(document, state.get("ResultPath", "$"), state["Result"])
            name = state["Next"]
        elif kind == "Task":
            document, name = _task(state, document, invoke)
        else:
            raise ValueError(f"the simulator does not walk {kind} states ({name})")


def _choose(state: dict[str, Any], document: dict[str, Any]) -> str:
    for rule in state["Choices"]:
        if set(rule) != {"Variable", "IsPresent", "Next"}:
            raise ValueError(f"the simulator walks only IsPresent choices, not {rule}")
        if (_field(rule["Variable"]) in document) == rule["IsPresent"]:
            return str(rule["Next"])
    return str(state["Default"])


def _task(state: dict[str, Any], document: dict[str, Any], invoke: Invoke) -> tuple[dict[str, Any], str]:
    retried: dict[int, int] = {}
    attempt = 1
    while True:
        try:
            output = invoke(state["Resource"], document, attempt)
        except TaskFailed as failure:
            rule = _matching(state.get("Retry", []), failure.error)
            if rule is not None and retried.get(rule, 0) < state["Retry"][rule]["MaxAttempts"]:
                retried[rule] = retried.get(rule, 0) + 1
                attempt += 1
                continue
            catch = _matching(state.get("Catch", []), failure.error)
            if catch is None:
                raise
            route = state["Catch"][catch]
            error = {"Error": failure.error, "Cause": failure.cause}
            return _put(document, route.get("ResultPath", "$"), error), str(route["Next"])
        return _put(document, state.get("ResultPath", "$"), output), str(state.get("Next", ""))


def _matching(rules: list[dict[str, Any]], error: str) -> int | None:
    """The first rule naming `error`, or States.ALL (which Step Functions lets match anything but States.Runtime)."""
    for position, rule in enumerate(rules):
        if error in rule["ErrorEquals"] or "States.ALL" in rule["ErrorEquals"]:
            return position
    return None


def _field(path: str) -> str:
    if not path.startswith("$.") or "." in path[2:]:
        raise ValueError(f"the simulator reads only top-level paths, not {path}")
    return path[2:]


def _put(document: dict[str, Any], path: str | None, value: Any) -> dict[str, Any]:
    if path is None:
        return document
    if path == "$":
        return dict(value)
    return {**document, _field(path): value}


def _parameters(template: dict[str, Any], document: dict[str, Any], execution_name: str) -> dict[str, Any]:
    result = {}
    for key, value in template.items():
        if key.endswith(".$"):
            result[key[:-2]] = execution_name if value == "$$.Execution.Name" else document[_field(value)]
        else:
            result[key] = value
    return result
