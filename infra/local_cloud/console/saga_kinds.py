"""Which sagas the console knows and where each kind keeps them. A deployed stack's outputs (kept by the
deployer) name the state machine and the saga log; a kind is listed for every stack that has both outputs.

The local cloud runs without the functions' code on its path: names are repeated here, and
tests/template/test_dashboard.py checks them against the template and the functions.

Adding a kind (e.g. returns) is one more entry here. A choreographed saga has no execution: its saga-log
record says so in its ``coordination`` field, and its page then shows the history without a graph."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SagaKind:
    name: str
    state_machine_output: str
    saga_log_output: str
    status_index: str  # the saga log's index by status (HASH) and start time (RANGE)
    statuses: tuple[str, ...]  # the values of the saga log's indexed `status`, in display order
    metrics_namespace: str  # POWERTOOLS_METRICS_NAMESPACE of the kind's functions
    started_metric: str
    outcome_metrics: dict[str, str]  # status -> the count metric its final step emits
    failure_metric: str  # dimensions step, error
    duration_metric: str  # milliseconds, dimension outcome


CHECKOUT = SagaKind(
    name="checkout",
    state_machine_output="CheckoutStateMachineArn",
    saga_log_output="SagaLogTableName",
    status_index="byStatus",
    statuses=("PENDING", "CONFIRMED", "CANCELLED", "COMPENSATION_FAILED"),
    metrics_namespace="CheckoutSaga",
    started_metric="SagaStarted",
    outcome_metrics={
        "CONFIRMED": "SagaConfirmed",
        "CANCELLED": "SagaCancelled",
        "COMPENSATION_FAILED": "SagaCompensationFailed",
    },
    failure_metric="StepFailed",
    duration_metric="SagaDuration",
)

KINDS: tuple[SagaKind, ...] = (CHECKOUT,)


def kind_named(name: str) -> SagaKind | None:
    return next((kind for kind in KINDS if kind.name == name), None)
