"""The sagas template.yaml's state machines describe in their `saga:*` tags, read as the local cloud's console
reads them from AWS; in the template a `!Ref` stands for the logical id it names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deployer.template import load_template
from local_cloud.console.saga_kinds import SagaMachine, saga_machine

TEMPLATE: dict[str, Any] = load_template(Path(__file__).resolve().parents[2] / "template.yaml")


def state_machines() -> dict[str, dict[str, Any]]:
    """Logical id -> Properties of every AWS::Serverless::StateMachine."""
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in TEMPLATE["Resources"].items()
        if resource["Type"] == "AWS::Serverless::StateMachine"
    }


def tags(logical_id: str) -> dict[str, str]:
    found = state_machines()[logical_id].get("Tags") or {}
    return {key: value["Ref"] if isinstance(value, dict) else value for key, value in found.items()}


def described(logical_id: str) -> SagaMachine:
    machine = saga_machine(
        f"arn:aws:states:us-east-1:000000000000:stateMachine:{logical_id}", logical_id, tags(logical_id)
    )
    assert machine is not None, f"{logical_id}'s tags do not describe its sagas"
    return machine
