"""The tags that describe each saga state machine of template.yaml (read by the local cloud's saga console, which
knows no product's names) say what the product does: the saga log it writes and its index, the statuses its
models define, the metrics its handlers emit. Change one side and this fails."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

import pytest

from checkout_saga.dal.dynamodb_saga_log import BY_STATUS_INDEX
from checkout_saga.handlers.forward_failure import STEP_FAILED
from checkout_saga.handlers.saga_duration import SAGA_DURATION
from checkout_saga.models import OrderStatus, ReturnStatus
from tests.support.saga_tags import TEMPLATE, described, state_machines, tags

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = TEMPLATE["Resources"]
# What each state machine coordinates: the kind, its saga log, the statuses of its sagas.
SAGAS: dict[str, tuple[str, str, type[StrEnum]]] = {
    "CheckoutStateMachine": ("checkout", "SagaLogTable", OrderStatus),
    "ReturnStateMachine": ("return", "ReturnSagaLogTable", ReturnStatus),
}
SUCCEEDED = {"CheckoutStateMachine": "CONFIRMED", "ReturnStateMachine": "COMPLETED"}
# AWS's tag rules (Step Functions TagResource).
TAG_TEXT = re.compile(r"^[\w .:/=+\-@]*$")


def test_every_saga_state_machine_is_described() -> None:
    assert set(state_machines()) == set(SAGAS)


@pytest.mark.parametrize("logical_id", SAGAS)
def test_the_tags_are_valid_aws_tags(logical_id: str) -> None:
    for key, value in tags(logical_id).items():
        assert len(key) <= 128
        assert len(value) <= 256
        assert TAG_TEXT.match(key), key
        assert TAG_TEXT.match(value), value


@pytest.mark.parametrize("logical_id", SAGAS)
def test_the_kind_log_and_statuses_are_the_products(logical_id: str) -> None:
    kind, table, statuses = SAGAS[logical_id]
    machine = described(logical_id)

    assert (machine.kind.name, machine.log_table) == (kind, table)
    assert list(machine.kind.statuses) == [status.value for status in statuses]
    assert set(machine.kind.outcomes) < set(machine.kind.statuses)
    # The console colours statuses by their place: the first in progress, the second a success, the last stuck.
    roles = {status: machine.kind.status_role(status) for status in machine.kind.statuses}
    assert (roles["PENDING"], roles["COMPENSATION_FAILED"]) == ("in-progress", "stuck")
    assert [status for status, role in roles.items() if role == "succeeded"] == [SUCCEEDED[logical_id]]
    # The index the data access queries, by status then start time, is on that table.
    indexes = RESOURCES[table]["Properties"]["GlobalSecondaryIndexes"]
    [index] = [index for index in indexes if index["IndexName"] == machine.status_index]
    assert machine.status_index == BY_STATUS_INDEX
    assert [(key["AttributeName"], key["KeyType"]) for key in index["KeySchema"]] == [
        ("status", "HASH"),
        ("startedAt", "RANGE"),
    ]


@pytest.mark.parametrize("logical_id", SAGAS)
def test_the_counted_metrics_are_those_its_steps_emit(logical_id: str) -> None:
    kind = described(logical_id).kind

    assert (
        kind.metric_namespace
        == TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"]
    )
    assert {kind.started_metric, *kind.outcome_metrics.values()} == set(emitted_on_transition(logical_id))
    assert kind.failure_metric == STEP_FAILED


def test_the_checkout_durations_are_those_its_outcome_steps_record() -> None:
    kind = described("CheckoutStateMachine").kind
    ends = dict(re.findall(r'on_transition="(\w+)",\s*ends_as=OrderStatus\.(\w+)', sources("CheckoutStateMachine")))

    assert kind.duration_metric == SAGA_DURATION
    assert {kind.outcome_metric(outcome): outcome for outcome in kind.outcomes} == ends
    assert described("ReturnStateMachine").kind.duration_metric is None
    assert "ends_as=" not in sources("ReturnStateMachine")


def emitted_on_transition(logical_id: str) -> list[str]:
    """The metrics the state machine's steps count when they record their transition."""
    return re.findall(r'on_transition="(\w+)"', sources(logical_id))


def sources(logical_id: str) -> str:
    """The handler modules of the functions the state machine's definition calls."""
    substitutions = state_machines()[logical_id]["DefinitionSubstitutions"].values()
    functions = [  # each Task invokes its function's alias (`!Ref <Function>.Alias`)
        value["Ref"].removesuffix(".Alias")
        for value in substitutions
        if isinstance(value, dict) and str(value.get("Ref", "")).endswith(".Alias")
    ]
    modules = [RESOURCES[function]["Properties"]["Handler"].rsplit(".", 1)[0] for function in functions]
    return "\n".join((ROOT / "functions" / f"{module.replace('.', '/')}.py").read_text("utf-8") for module in modules)
