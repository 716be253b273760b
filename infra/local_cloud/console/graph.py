"""A state machine definition (ASL) as a graph: its states as nodes and every way to go from one to another
(Next, Choice branches, Default, Catch) as edges; then the path one execution took laid over it.

Parallel and Map states are drawn as single nodes (their branches are not expanded)."""

from __future__ import annotations

import itertools
from typing import Any

from local_cloud.console.history import Visit

START = "__start__"


def state_graph(definition: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    states: dict[str, Any] = definition.get("States", {})
    nodes = [{"id": START, "label": "start", "type": "Start"}]
    nodes += [{"id": name, "label": name, "type": str(state.get("Type", "?"))} for name, state in states.items()]
    edges: dict[tuple[str, str], dict[str, Any]] = {}

    def connect(source: str, target: Any, label: str, kind: str) -> None:
        if not isinstance(target, str) or target not in states:
            return
        edge = edges.setdefault((source, target), {"source": source, "target": target, "labels": [], "kind": kind})
        if label and label not in edge["labels"]:
            edge["labels"].append(label)
        if kind == "next":  # the normal way wins the edge's style when a Catch shares it
            edge["kind"] = kind

    connect(START, definition.get("StartAt"), "", "next")
    for name, state in states.items():
        connect(name, state.get("Next"), "", "next")
        for choice in state.get("Choices", []):
            connect(name, choice.get("Next"), "", "choice")
        connect(name, state.get("Default"), "default", "choice")
        for catch in state.get("Catch", []):
            connect(name, catch.get("Next"), " | ".join(catch.get("ErrorEquals", [])), "catch")
    return {
        "nodes": nodes,
        "edges": [
            {"source": e["source"], "target": e["target"], "label": ", ".join(e["labels"]), "kind": e["kind"]}
            for e in edges.values()
        ],
    }


def task_names(definition: dict[str, Any]) -> set[str]:
    """The names of the Task states of a definition, those in Parallel branches and Map iterations included."""
    names: set[str] = set()
    for name, state in definition.get("States", {}).items():
        if state.get("Type") == "Task":
            names.add(name)
        for branch in [*state.get("Branches", []), state.get("ItemProcessor"), state.get("Iterator")]:
            if isinstance(branch, dict):
                names |= task_names(branch)
    return names


def with_path(graph: dict[str, list[dict[str, Any]]], found: list[Visit], running: bool) -> dict[str, Any]:
    """Classes on the graph: `taken` for each state and edge the execution went through, `retried` where an
    attempt failed and a retry followed, `failed` where a Catch took the saga away (or an uncaught error
    ended the execution), `current` for the state a running execution is in."""
    taken = {visit.name for visit in found}
    failed = {visit.name for visit in found if visit.caught}
    retried = {visit.name for visit in found if visit.retried}
    steps = [START, *(visit.name for visit in found)] if found else []
    taken_edges = set(itertools.pairwise(steps))
    current = found[-1].name if running and found and found[-1].exited is None else None
    nodes = []
    for node in graph["nodes"]:
        name = node["id"]
        marks = {"taken": name in taken or (name == START and bool(found)), "retried": name in retried}
        marks |= {"failed": name in failed, "current": name == current}
        classes = [node["type"].lower(), *(mark for mark, on in marks.items() if on)]
        nodes.append({**node, "classes": classes})
    edges = []
    for edge in graph["edges"]:
        classes = [edge["kind"]] + (["taken"] if (edge["source"], edge["target"]) in taken_edges else [])
        edges.append({**edge, "classes": classes})
    return {"nodes": nodes, "edges": edges}
