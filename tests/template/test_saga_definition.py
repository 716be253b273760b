"""Each ASL file against its saga's one definition (functions/checkout_saga/saga_definition.py), state by state:
its Task states are the definition's steps, each forward step goes on to the next, retries the saga's transient
errors, ends the saga on the errors the definition says and otherwise records itself as the failed step and
enters the undo where the definition says; each undo goes on to the next undo, retries everything and hands a
failure to the saga's last resort. A Catch copied from another step, a step missing from the definition or from
the ASL, or a Retry list that drifted fails here, naming the state."""

import json
import re
from pathlib import Path
from typing import Any

import pytest

from checkout_saga.saga_definition import (
    CHECKOUT,
    INVOCATION_ERRORS,
    RETURN,
    SAGAS,
    Ending,
    SagaDefinition,
    Step,
    StepName,
    saga_of,
)
from deployer.template import load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template(ROOT / "template.yaml")
MACHINES = {CHECKOUT.kind: "CheckoutStateMachine", RETURN.kind: "ReturnStateMachine"}
ALL = ["States.ALL"]
State = dict[str, Any]


def machine(saga: SagaDefinition) -> dict[str, Any]:
    """The saga's state machine document, as template.yaml deploys it."""
    uri = TEMPLATE["Resources"][MACHINES[saga.kind]]["Properties"]["DefinitionUri"]
    text = (ROOT / uri).read_text(encoding="utf-8")
    return dict(json.loads(re.sub(r'(?<!")\$\{\w+\}(?!")', "1", text)))  # numeric substitutions (retry timings)


def asl(saga: SagaDefinition) -> dict[str, State]:
    return dict(machine(saga)["States"])


def end_of(states: dict[str, State], name: str) -> State:
    """The state a route ends in, through the Pass states that only keep something."""
    while states[name]["Type"] == "Pass":
        name = states[name]["Next"]
    return {"Name": name, **states[name]}


def catches(state: State) -> list[tuple[list[str], str, str | None]]:
    return [(catch["ErrorEquals"], catch["Next"], catch.get("ResultPath")) for catch in state.get("Catch", [])]


def check_endings(states: dict[str, State], step: Step, ends_as: dict[Ending, str]) -> None:
    """The step's Catches before the last lead where the definition's endings say."""
    found = {tuple(errors): (target, path) for errors, target, path in catches(states[step.name])[:-1]}
    expected = {(error,): ending for error, ending in step.ending_errors.items()}
    assert set(found) == set(expected), f"{step.name} ends the saga on {sorted(found)}, the definition on {expected}"
    for errors, ending in expected.items():
        target, path = found[errors]
        end = end_of(states, target)
        if ending is Ending.REFUSED:
            assert (end["Type"], end.get("Error")) == ("Fail", errors[0]), f"{step.name}: {errors} ends in {end}"
        else:
            assert end["Name"] == ends_as[ending], f"{step.name}: {errors} should end the saga {ending.value}"
            assert path is None, f"{step.name}: the saga ends as it was, the error {errors} is not kept"


def check_no_retry_of_endings(state: State, step: Step) -> None:
    """An error that ends the saga is not retried by the catch-all Retry that follows."""
    retriers = state["Retry"]
    if step.ending_errors:
        assert sorted(retriers[0]["ErrorEquals"]) == sorted(step.ending_errors), step.name
        assert retriers[0]["MaxAttempts"] == 0, step.name
        retriers = retriers[1:]
    assert [r["ErrorEquals"] for r in retriers] == [ALL], f"{step.name} retries {retriers}"


@pytest.fixture(params=SAGAS, ids=lambda saga: saga.kind)
def saga(request: pytest.FixtureRequest) -> SagaDefinition:
    return request.param  # type: ignore[no-any-return]


def ends(saga: SagaDefinition, states: dict[str, State]) -> dict[Ending, str]:
    """Where the saga ends: as the last forward step leads (succeeded), as the last undo leads (cancelled)."""
    return {
        Ending.SUCCEEDED: end_of(states, states[saga.forward[-1].name]["Next"])["Name"],
        Ending.CANCELLED: end_of(states, states[saga.compensations[-1].name]["Next"])["Name"],
    }


def test_the_tasks_are_the_definitions_steps(saga: SagaDefinition) -> None:
    tasks = {name for name, state in asl(saga).items() if state["Type"] == "Task"}
    defined = {step.name for step in (*saga.steps, saga.gives_up)}
    assert tasks == defined, f"only in the ASL: {sorted(tasks - defined)}; only in the definition: {defined - tasks}"


def test_a_saga_starts_at_its_first_step_and_resumes_at_its_first_undo(saga: SagaDefinition) -> None:
    states = asl(saga)
    start = states["StartOrResume"]
    resume, named = start["Choices"]
    assert (resume["Variable"], resume["Next"]) == ("$.resumeCompensation", saga.compensations[0].name)
    assert named["Next"] == saga.forward[0].name
    assert states[start["Default"]]["Next"] == saga.forward[0].name


def test_each_forward_step_goes_on_retries_and_enters_the_undo_where_the_definition_says(saga: SagaDefinition) -> None:
    states = asl(saga)
    ends_as = ends(saga, states)
    assert states[ends_as[Ending.SUCCEEDED]]["Type"] == "Succeed"
    for step in saga.forward:
        state = states[step.name]
        following = saga.next_step(step.name)
        if following is not None:
            assert state["Next"] == following.name, step.name
        assert [r["ErrorEquals"] for r in state["Retry"]] == [[*saga.transient_errors, *INVOCATION_ERRORS]], step.name
        check_endings(states, step, ends_as)
        errors, target, path = catches(state)[-1]
        assert (errors, path) == (ALL, "$.failure"), step.name
        kept = states[target]
        assert (kept["Type"], kept["Result"], kept["ResultPath"]) == ("Pass", step.name, "$.failedStep"), (
            f"the Catch of {step.name} records {kept.get('Result')} as the failed step"
        )
        standard, express = undo_entries(saga, kept["Next"])
        assert standard == saga.undo_entry(step.name).name, f"{step.name}'s failure enters the undo elsewhere"
        if saga is CHECKOUT:  # the only machine CheckoutWorkflowType makes Express
            assert express == saga.undo_entry(step.name, at_least_once=True).name, f"{step.name} on Express"


def undo_entries(saga: SagaDefinition, target: str) -> tuple[str, str]:
    """A Catch's undo entry as deployed by a Standard and by an Express checkout: the state's name, or a
    substitution the template chooses with `!If [IsExpressCheckout, <express>, <standard>]`."""
    placeholder = re.fullmatch(r"\$\{(\w+)\}", target)
    if placeholder is None:
        return target, target
    substitutions = TEMPLATE["Resources"][MACHINES[saga.kind]]["Properties"]["DefinitionSubstitutions"]
    condition, express, standard = substitutions[placeholder.group(1)]["Fn::If"]
    assert condition == "IsExpressCheckout"
    return standard, express


def test_each_undo_goes_on_retries_everything_and_gives_up_through_the_last_resort(saga: SagaDefinition) -> None:
    states = asl(saga)
    ends_as = ends(saga, states)
    assert states[ends_as[Ending.CANCELLED]]["Type"] == "Fail"
    for step in saga.compensations:
        state = states[step.name]
        following = saga.next_step(step.name)
        if following is not None:
            assert state["Next"] == following.name, step.name
        check_no_retry_of_endings(state, step)
        check_endings(states, step, ends_as)
        errors, target, path = catches(state)[-1]
        assert (errors, path) == (ALL, "$.compensationFailure"), step.name
        kept = states[target]
        assert (kept["Type"], kept["Result"], kept["ResultPath"]) == ("Pass", step.name, "$.failedCompensation"), (
            f"the Catch of {step.name} records {kept.get('Result')} as the failed undo"
        )
        assert kept["Next"] == saga.gives_up.name, step.name


def test_the_last_resort_settles_the_pivot_and_never_fails_silently(saga: SagaDefinition) -> None:
    states = asl(saga)
    state = states[saga.gives_up.name]
    check_no_retry_of_endings(state, saga.gives_up)
    check_endings(states, saga.gives_up, ends(saga, states))
    errors, target, _ = catches(state)[-1]
    assert errors == ALL, "marking the saga may fail too: a Fail state says so"
    assert states[target]["Type"] == "Fail", "marking the saga may fail too: a Fail state says so"
    assert states[state["Next"]]["Type"] == "Fail"


def test_every_task_and_every_saga_has_a_timeout(saga: SagaDefinition) -> None:
    assert machine(saga)["TimeoutSeconds"] > 0
    for name, state in asl(saga).items():
        if state["Type"] == "Task":
            assert state["TimeoutSeconds"] > 0, name


def test_step_name_is_the_definitions_steps() -> None:
    defined = [step.name for saga in SAGAS for step in saga.steps]
    assert sorted(defined) == sorted(StepName), "StepName and the definitions list different steps"
    assert {saga_of(step).kind for step in StepName} == {CHECKOUT.kind, RETURN.kind}


@pytest.mark.parametrize("machine", sorted(MACHINES.values()))
def test_each_task_runs_the_function_of_its_own_name(machine: str) -> None:
    properties = TEMPLATE["Resources"][machine]["Properties"]
    substitutions = properties["DefinitionSubstitutions"]
    text = (ROOT / properties["DefinitionUri"]).read_text(encoding="utf-8")
    states = json.loads(re.sub(r'(?<!")\$\{\w+\}(?!")', "1", text))["States"]
    for name, state in states.items():
        if state["Type"] == "Task":
            variable = re.fullmatch(r"\$\{(\w+)\}", state["Resource"]).group(1)  # type: ignore[union-attr]
            assert substitutions[variable] == {"Ref": f"{name}Function.Alias"}, name  # through its alias `live`
