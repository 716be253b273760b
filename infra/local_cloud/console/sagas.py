"""The console's data: sagas listed from each stack's saga log (its `byStatus` index, newest first), one
saga with its state machine graph, path, timings and failure, and the metrics panel."""

from __future__ import annotations

import json
from typing import Any

from local_cloud.console import graph, history, saga_log_history
from local_cloud.console.cloud_reader import CloudReader
from local_cloud.console.emf_tail import EmfTail
from local_cloud.console.metrics_panel import summarize
from local_cloud.console.saga_kinds import KINDS, SagaKind, kind_named

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_RUNNING = "RUNNING"


class UnknownSaga(LookupError):
    pass


def list_sagas(
    reader: CloudReader, *, status: str = "", kind: str = "", text: str = "", limit: int = DEFAULT_LIMIT
) -> list[dict[str, Any]]:
    """The newest `limit` sagas of every stack (one query per status), optionally of one status or kind, whose
    id or customer contains `text`. Text filters the newest `limit` of each status, not the whole log."""
    rows = []
    for stack, outputs in sorted(reader.stack_outputs().items()):
        for saga_kind in KINDS:
            if kind and saga_kind.name != kind:
                continue
            table = outputs.get(saga_kind.saga_log_output)
            if table is None or saga_kind.state_machine_output not in outputs:
                continue
            for wanted in [status] if status else saga_kind.statuses:
                for item in reader.query_index(table, saga_kind.status_index, "status", wanted, limit):
                    rows.append(summary(stack, saga_kind, item))
    needle = text.strip().lower()
    if needle:
        rows = [row for row in rows if needle in row["sagaId"].lower() or needle in (row["customerId"] or "").lower()]
    rows.sort(key=lambda row: (row["startedAt"], row["sagaId"]), reverse=True)
    return rows[:limit]


def summary(stack: str, kind: SagaKind, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "stack": stack,
        "kind": kind.name,
        "coordination": item.get("coordination", "orchestration"),
        "sagaId": item["sagaId"],
        "customerId": item.get("customerId"),
        "status": item.get("status"),
        "state": item.get("state"),
        "startedAt": item.get("startedAt"),
        "updatedAt": item.get("updatedAt"),
        "failure": item.get("failure"),
        "compensationFailure": item.get("compensationFailure"),
        "path": f"sagas/{stack}/{kind.name}/{item['sagaId']}",
    }


def saga_detail(reader: CloudReader, stack: str, kind_name: str, saga_id: str) -> dict[str, Any]:
    """One saga: its saga-log summary, its execution, the state machine graph with the path taken, the time
    spent in each state (retries included) and where it failed. UnknownSaga if neither log nor execution has it."""
    kind = kind_named(kind_name)
    outputs = reader.stack_outputs().get(stack)
    if kind is None or outputs is None or kind.state_machine_output not in outputs:
        raise UnknownSaga(f"no {kind_name} sagas in stack {stack}")
    item = reader.get_item(outputs[kind.saga_log_output], {"sagaId": saga_id})
    state_machine_arn = outputs[kind.state_machine_output]
    execution_arn = state_machine_arn.replace(":stateMachine:", ":execution:") + f":{saga_id}"
    execution = reader.describe_execution(execution_arn)
    if item is None and execution is None:
        raise UnknownSaga(f"no {kind_name} saga {saga_id} in stack {stack}")
    events = reader.execution_history(execution_arn) if execution else []
    visited = history.visits(events)
    running = execution is not None and execution["status"] == _RUNNING
    drawn = None
    if execution is not None:  # a choreographed saga has no execution: no graph, its saga log only
        definition = json.loads(reader.describe_state_machine(state_machine_arn)["definition"])
        drawn = graph.with_path(graph.state_graph(definition), visited, running)
    origin = events[0]["timestamp"] if events else None
    return {
        "saga": summary(stack, kind, item) if item else None,
        "stateMachine": {"arn": state_machine_arn, "name": state_machine_arn.rsplit(":", 1)[-1]},
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


def metrics(tail: EmfTail) -> list[dict[str, Any]]:
    """One panel per saga kind, from every Lambda log group's EMF lines."""
    found = tail.data()
    return [summarize(kind, found) for kind in KINDS]
