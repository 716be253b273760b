"""The saga's step names live in two places that must agree: the Task states of statemachine/*.asl.json and
StepName (models.py: the names fault plans, failure.step and the logs use at run time, where no ASL is packaged).
Adding a step to one and not the other fails here, with the names that differ."""

import json
import re
from pathlib import Path

import pytest
from samtranslator.yaml_helper import yaml_parse

from checkout_saga.models import StepName

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = yaml_parse((ROOT / "template.yaml").read_text(encoding="utf-8"))
STATE_MACHINES = {
    name: resource["Properties"]
    for name, resource in TEMPLATE["Resources"].items()
    if resource["Type"] == "AWS::Serverless::StateMachine"
}
LAST_RESORT = re.compile(r"^Mark\w*CompensationFailed$")  # they record a stuck undo; no fault is injected there


def task_states(definition_uri: str) -> dict[str, str]:
    """Task state -> the DefinitionSubstitutions variable its Resource names."""
    text = (ROOT / definition_uri).read_text(encoding="utf-8")
    definition = json.loads(re.sub(r'(?<!")\$\{\w+\}(?!")', "1", text))  # numeric substitutions (retry timings)
    return {
        name: re.fullmatch(r"\$\{(\w+)\}", state["Resource"]).group(1)  # type: ignore[union-attr]
        for name, state in definition["States"].items()
        if state["Type"] == "Task"
    }


def test_step_name_lists_every_task_of_both_state_machines() -> None:
    tasks = {name for machine in STATE_MACHINES.values() for name in task_states(machine["DefinitionUri"])}
    steps = {name for name in tasks if not LAST_RESORT.match(name)}
    assert steps == {step.value for step in StepName}, (
        f"only in the ASL: {sorted(steps - {s.value for s in StepName})}; "
        f"only in StepName: {sorted({s.value for s in StepName} - steps)}"
    )


@pytest.mark.parametrize("machine", sorted(STATE_MACHINES))
def test_each_task_runs_the_function_of_its_own_name(machine: str) -> None:
    properties = STATE_MACHINES[machine]
    substitutions = properties["DefinitionSubstitutions"]
    for state, variable in task_states(properties["DefinitionUri"]).items():
        assert substitutions[variable] == {"Fn::GetAtt": [f"{state}Function", "Arn"]}, state
