"""The in-process stack's shortened Retry waits (tests/support/retry_waits.py): every Retry of moto's interpreter
still happens, after a wait of its interval divided, and leaving the seam gives back the wait it replaced."""

import json
import time
from typing import Any

import pytest
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

from tests.statemachine.conftest import RETRY_WAIT_DIVISOR
from tests.support import retry_waits
from tests.support.stack import Stack

# A branch that always fails, retried twice a second apart, then caught.
DEFINITION = {
    "StartAt": "Attempt",
    "States": {
        "Attempt": {
            "Type": "Parallel",
            "Branches": [{"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Boom"}}}],
            "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 1}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "GaveUp"}],
            "End": True,
        },
        "GaveUp": {"Type": "Pass", "End": True},
    },
}


def test_each_retry_still_waits_its_interval_divided(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(retry_waits, "_wait", waits.append)  # the real wait the shortened one makes
    history = _run(stack, DEFINITION)
    assert waits == [1 / RETRY_WAIT_DIVISOR] * 2
    entered = [event["stateEnteredEventDetails"]["name"] for event in history if "stateEnteredEventDetails" in event]
    assert entered.count("Attempt") == 1
    assert entered.count("GaveUp") == 1


def test_leaving_the_seam_gives_back_the_wait_it_replaced() -> None:
    outer = _waits_seen_by_the_retrier()
    with retry_waits.shortened(5):
        assert _waits_seen_by_the_retrier() is not outer
    assert _waits_seen_by_the_retrier() is outer
    assert outer is not time  # the stack's own seam, still installed


def test_a_changed_interpreter_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retrier_decl.RetrierDecl, "_eval_body", lambda self, env: None)
    with pytest.raises(retry_waits.SeamChanged, match="_eval_body"), retry_waits.shortened(5):
        pass


def _run(stack: Stack, definition: dict[str, Any]) -> list[dict[str, Any]]:
    sfn = stack.client("stepfunctions")
    machine = sfn.create_state_machine(
        name="retried-then-caught",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/retried-then-caught",
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    for _ in range(250):
        if sfn.describe_execution(executionArn=execution)["status"] != "RUNNING":
            break
        time.sleep(0.02)
    assert sfn.describe_execution(executionArn=execution)["status"] == "SUCCEEDED"
    events: list[dict[str, Any]] = sfn.get_execution_history(executionArn=execution)["events"]
    return events


def _waits_seen_by_the_retrier() -> Any:
    return vars(retrier_decl)["time"]
