"""The console's data: the state machines that coordinate sagas (from their tags), sagas listed from each one's
saga log (its status index, newest first), one saga with its state machine graph, path, timings and failure, and
one metrics panel per saga kind."""

from __future__ import annotations

import json
from typing import Any

from local_cloud.console import graph, history, saga_log_history
from local_cloud.console.cloud_reader import CloudReader
from local_cloud.console.emf_tail import EmfTail
from local_cloud.console.metrics_panel import summarize
from local_cloud.console.saga_kinds import SagaMachine, kinds_of, saga_machine

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_RUNNING = "RUNNING"


class UnknownSaga(LookupError):
    pass


def saga_machines(reader: CloudReader) -> list[SagaMachine]:
    """Every state machine whose tags describe the sagas it coordinates, by name."""
    found = [saga_machine(arn, name, reader.tags(arn)) for arn, name in reader.state_machines()]
    return sorted((machine for machine in found if machine is not None), key=lambda machine: machine.name)


def list_sagas(
    reader: CloudReader,
    machines: list[SagaMachine],
    *,
    status: str = "",
    kind: str = "",
    text: str = "",
    limit: int = DEFAULT_LIMIT,
) -> list[dict[str, Any]]:
    """The newest `limit` sagas of every saga state machine (one query per status), optionally of one status or
    kind, whose id or customer contains `text`. Text filters the newest `limit` of each status, not the whole log."""
    rows = []
    for machine in machines:
        if kind and machine.kind.name != kind:
            continue
        for wanted in machine.kind.statuses:
            if status and wanted != status:
                continue
            for item in reader.query_index(machine.log_table, machine.status_index, "status", wanted, limit):
                rows.append(summary(machine, item))
    needle = text.strip().lower()
    if needle:
        rows = [row for row in rows if needle in row["sagaId"].lower() or needle in (row["customerId"] or "").lower()]
    rows.sort(key=lambda row: (row["startedAt"], row["sagaId"]), reverse=True)
    return rows[:limit]


def summary(machine: SagaMachine, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "stateMachine": machine.name,
        "kind": machine.kind.name,
        "coordination": item.get("coordination", "orchestration"),
        "sagaId": item["sagaId"],
        "customerId": item.get("customerId"),
        "status": item.get("status"),
        "statusRole": machine.kind.status_role(str(item.get("status"))),
        "state": item.get("state"),
        "startedAt": item.get("startedAt"),
        "updatedAt": item.get("updatedAt"),
        "failure": item.get("failure"),
        "compensationFailure": item.get("compensationFailure"),
        "path": f"sagas/{machine.name}/{item['sagaId']}",
    }


def saga_detail(reader: CloudReader, machines: list[SagaMachine], machine_name: str, saga_id: str) -> dict[str, Any]:
    """One saga: its saga-log summary, its execution, the state machine graph with the path taken, the time
    spent in each state (retries included) and where it failed. UnknownSaga if neither log nor execution has it."""
    machine = next((machine for machine in machines if machine.name == machine_name), None)
    if machine is None:
        raise UnknownSaga(f"no state machine {machine_name} coordinates sagas")
    item = reader.get_item(machine.log_table, {"sagaId": saga_id})
    execution_arn = machine.arn.replace(":stateMachine:", ":execution:") + f":{saga_id}"
    execution = reader.describe_execution(execution_arn)
    if item is None and execution is None:
        raise UnknownSaga(f"no {machine.kind.name} saga {saga_id} in {machine_name}")
    events = reader.execution_history(execution_arn) if execution else []
    visited = history.visits(events)
    running = execution is not None and execution["status"] == _RUNNING
    drawn = None
    if execution is not None:  # a choreographed saga has no execution: no graph, its saga log only
        definition = json.loads(reader.describe_state_machine(machine.arn)["definition"])
        drawn = graph.with_path(graph.state_graph(definition), visited, running)
    origin = events[0]["timestamp"] if events else None
    return {
        "saga": summary(machine, item) if item else None,
        "stateMachine": {"arn": machine.arn, "name": machine.name},
        "execution": None
        if execution is None
        else {
            "arn": execution_arn,
            "status": execution["status"],
            "startDate": execution["startDate"].isoformat(),
            "stopDate": execution["stopDate"].isoformat() if execution.get("stopDate") else None,
            "end": history.execution_end(events),
        },
        "graph": drawn,
        **_states_and_failures(execution, item, visited, origin),
    }


def _states_and_failures(
    execution: dict[str, Any] | None, item: dict[str, Any] | None, visited: list[Any], origin: Any
) -> dict[str, Any]:
    if execution is None and item is not None:  # choreographed: what its saga log recorded
        return {"states": saga_log_history.transitions(item), "failures": saga_log_history.failures(item)}
    return {
        "states": [visit.to_json(origin) for visit in visited] if origin else [],
        "failures": history.failures(visited),
    }


def metrics(reader: CloudReader, tail: EmfTail, machines: list[SagaMachine]) -> list[dict[str, Any]]:
    """One panel per saga kind, from every Lambda log group's EMF lines. Kinds may share a namespace and a
    failure metric: a kind's failures are those of the steps (Task states) of its own state machines."""
    found = tail.data()
    panels = []
    for kind in kinds_of(machines):
        steps: set[str] = set()
        for machine in machines:
            if machine.kind == kind:
                steps |= graph.task_names(json.loads(reader.describe_state_machine(machine.arn)["definition"]))
        panels.append(summarize(kind, steps, found))
    return panels
