"""The mutation tool behind `make check-catches` removes exactly one Catch per variant, and sees them all."""

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from checks.check_catches import ASLS, NUMERIC, QUOTED_NUMERIC, ROOT, without_each_catch


@pytest.mark.parametrize("asl", ASLS, ids=lambda path: path.name)
def test_each_variant_lacks_exactly_one_catch_and_every_catch_gets_one(asl):
    definition = json.loads(NUMERIC.sub(r'\1"\2"', (ROOT / asl).read_text()))
    count = sum(len(state.get("Catch", [])) for state in definition["States"].values())

    variants = list(without_each_catch(definition))

    assert len(variants) == count >= 11
    for _description, mutated in variants:
        assert sum(len(state.get("Catch", [])) for state in mutated["States"].values()) == count - 1
    assert len({description for description, _ in variants}) == count


@pytest.mark.parametrize("asl", ASLS, ids=lambda path: path.name)
def test_numeric_placeholders_go_back_unquoted(asl):
    text = (ROOT / asl).read_text()
    definition = json.loads(NUMERIC.sub(r'\1"\2"', text))

    written = QUOTED_NUMERIC.sub(r"\1", json.dumps(definition, indent=2))

    unquoted = re.compile(r":\s*(\$\{\w+\})")
    assert sorted(unquoted.findall(written)) == sorted(unquoted.findall(text))  # every one, e.g. the timeout's
    assert '"${RetryIntervalSeconds}"' not in written
    assert '"Resource": "${' in written  # string substitutions (the functions' ARNs) stay strings


def test_the_tests_that_took_a_catch_run_alone_first_and_the_suite_only_when_they_pass(tmp_path: Path) -> None:
    from checks.check_catches import WHOLE_SUITE, Coverage

    (tmp_path / "taken.jsonl").write_text(
        '{"test": "t1", "catches": ["A: Catch [\'States.ALL\'] -> AFailed"]}\n'
        '{"test": "t2", "catches": ["A: Catch [\'States.ALL\'] -> AFailed", "B: Catch [\'X\'] -> Done"]}\n'
        '{"test": "t3", "catches": []}\n'
    )
    coverage = Coverage.read(tmp_path / "taken.jsonl")
    runs: list[list[str]] = []

    def answering(*answers: str | None) -> Callable[[list[str]], str | None]:
        """A run answering each of `answers` in turn (the failing test, or None: every test passed)."""
        remaining = list(answers)

        def run(paths: list[str]) -> str | None:
            runs.append(paths)
            return remaining.pop(0)

        return run

    assert coverage.catch("A: Catch ['States.ALL'] -> AFailed", answering("t2"))  # t1 and t2 took it: t2 fails
    assert coverage.catch("B: Catch ['X'] -> Done", answering(None, "t3"))  # t2 passes without it: the suite fails
    assert not coverage.catch("C: Catch ['States.ALL'] -> CFailed", answering(None))  # none took it: the suite passes

    assert runs == [["t1", "t2"], ["t2"], WHOLE_SUITE, WHOLE_SUITE]


CHECKOUT_LIKE = {
    "States": {
        "Reserve": {
            "Type": "Task",
            "Catch": [
                {"ErrorEquals": ["OutOfStock"], "Next": "SoldOut"},
                {"ErrorEquals": ["States.ALL"], "Next": "ReserveFailed"},
            ],
        },
        "Charge": {"Type": "Task", "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "ChargeFailed"}]},
    }
}


def _entered(name: str) -> dict[str, Any]:
    return {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": name}}


def _failed(error: str) -> dict[str, Any]:
    return {"type": "TaskFailed", "taskFailedEventDetails": {"error": error, "cause": "..."}}


def test_the_catches_taken_are_read_from_the_history_as_step_functions_picks_them() -> None:
    from checks.catches_taken import catches_taken

    out_of_stock = [_entered("Reserve"), _failed("OutOfStock"), _entered("SoldOut")]
    other_error = [_entered("Reserve"), _failed("Boom"), _entered("ReserveFailed")]
    retried_away = [_entered("Charge"), _failed("Flaky"), {"type": "TaskSucceeded"}, _entered("Confirm")]
    timed_out = [_entered("Charge"), _failed("States.Timeout"), {"type": "ExecutionFailed"}]

    assert catches_taken(CHECKOUT_LIKE, out_of_stock) == {"Reserve: Catch ['OutOfStock'] -> SoldOut"}
    assert catches_taken(CHECKOUT_LIKE, other_error) == {"Reserve: Catch ['States.ALL'] -> ReserveFailed"}
    assert catches_taken(CHECKOUT_LIKE, retried_away) == set()  # a retry that worked took no Catch
    assert catches_taken(CHECKOUT_LIKE, timed_out) == set()  # States.TaskFailed does not match a timeout
