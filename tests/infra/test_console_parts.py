"""The saga console's pure parts: saga kinds from tags, EMF extraction, percentiles, the graph of the real ASL,
HTML escaping."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from local_cloud.cloudwatch import emf
from local_cloud.console import graph, pages
from local_cloud.console.history import Attempt, Visit
from local_cloud.console.metrics_panel import percentile
from local_cloud.console.saga_kinds import saga_machine
from simulator.world import standard_checkout_substitutions

ROOT = Path(__file__).resolve().parents[2]


def emf_line(namespace: str, dimensions: list[list[str]], metrics: dict[str, object], **values: object) -> str:
    return json.dumps(
        {
            "_aws": {
                "Timestamp": 0,
                "CloudWatchMetrics": [
                    {
                        "Namespace": namespace,
                        "Dimensions": dimensions,
                        "Metrics": [{"Name": name, "Unit": "Count"} for name in metrics],
                    }
                ],
            },
            **metrics,
            **values,
        }
    )


def test_a_state_machine_describes_its_sagas_in_its_tags() -> None:
    tags = {
        "saga:kind": "refund",
        "saga:log-table": "refund-log",
        "saga:status-index": "byState",
        "saga:statuses": "OPEN PAID FAILED_TWICE",
        "saga:outcomes": "PAID FAILED_TWICE",
        "saga:metric-namespace": "Shop",
        "saga:metric-prefix": "Refund",
        "team": "payments",
    }

    machine = saga_machine("arn:aws:states:us-east-1:000000000000:stateMachine:m", "m", tags)

    assert machine is not None
    assert (machine.name, machine.log_table, machine.status_index) == ("m", "refund-log", "byState")
    kind = machine.kind
    assert (kind.name, kind.statuses, kind.metric_namespace) == ("refund", ("OPEN", "PAID", "FAILED_TWICE"), "Shop")
    assert kind.started_metric == "RefundStarted"
    assert kind.outcome_metrics == {"PAID": "RefundPaid", "FAILED_TWICE": "RefundFailedTwice"}
    assert (kind.failure_metric, kind.duration_metric) == (None, None)
    # Shown by position, not by name: in progress, succeeded, ended otherwise, and the last needs an operator.
    assert [kind.status_role(status) for status in kind.statuses] == ["in-progress", "succeeded", "stuck"]
    assert kind.status_role("NOT_ONE_OF_THEM") == "ended"
    # Without what listing its sagas takes, a state machine is not a saga's.
    assert saga_machine("arn", "m", {k: v for k, v in tags.items() if k != "saga:log-table"}) is None
    assert saga_machine("arn", "m", {"team": "payments"}) is None


def test_emf_data_are_read_from_documents_only() -> None:
    lines = [
        "START RequestId: 1 Version: $LATEST",
        '{"level": "INFO", "message": "step done"}',
        '{"_aws": not json',
        emf_line("CheckoutSaga", [["service"]], {"SagaConfirmed": [1.0, 1.0]}, service="checkout-saga"),
        emf_line("Other", [["step", "error"]], {"StepFailed": 1}, step="ChargePayment", error="PaymentDeclined"),
    ]

    found = [datum for line in lines for datum in emf.data_in(line)]

    assert [(d.namespace, d.name, d.values) for d in found] == [
        ("CheckoutSaga", "SagaConfirmed", (1.0, 1.0)),
        ("Other", "StepFailed", (1.0,)),
    ]
    assert found[1].dimension("step") == "ChargePayment"
    assert found[1].dimension("error") == "PaymentDeclined"


def test_each_dimension_set_is_its_own_datum() -> None:
    line = emf_line("N", [["a"], ["a", "b"]], {"M": 2}, a="1", b="2")
    assert [datum.dimensions for datum in emf.data_in(line)] == [(("a", "1"),), (("a", "1"), ("b", "2"))]


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 100)) == (50.0, 95.0, 100.0)
    assert percentile([7.0], 95) == 7.0


def real_definition() -> dict[str, Any]:
    """The checkout's ASL as a Standard stack deploys it (its undo entries), with placeholder ARNs and numbers."""
    text = (ROOT / "statemachine" / "checkout.asl.json").read_text()
    standard = standard_checkout_substitutions()

    def value(name: str) -> str:
        return standard.get(name) or ("arn" if "Arn" in name else "1")

    definition: dict[str, Any] = json.loads(re.sub(r"\$\{(\w+)\}", lambda m: value(m[1]), text))
    return definition


def test_the_graph_has_every_state_and_every_transition_of_the_definition() -> None:
    definition = real_definition()
    drawn = graph.state_graph(definition)

    assert {node["id"] for node in drawn["nodes"]} == {graph.START, *definition["States"]}
    edges = {(edge["source"], edge["target"]): edge for edge in drawn["edges"]}
    assert edges[(graph.START, "StartOrResume")]["kind"] == "next"
    for name, state in definition["States"].items():
        for target in [state.get("Next"), state.get("Default")] + [c["Next"] for c in state.get("Catch", [])]:
            if target:
                assert (name, target) in edges, (name, target)
    assert edges[("ChargePayment", "ChargePaymentFailed")] | {"classes": None} == {
        "source": "ChargePayment",
        "target": "ChargePaymentFailed",
        "label": "States.ALL",
        "kind": "catch",
        "classes": None,
    }
    # Two catches to one target are one edge naming both errors.
    assert len(edges) == len(drawn["edges"])


def test_pages_escape_what_comes_from_the_cloud() -> None:
    row = {
        "sagaId": "<script>alert(1)</script>",
        "status": "CONFIRMED",
        "statusRole": "succeeded",
        "state": "CONFIRMED",
        "kind": "checkout",
        "coordination": "orchestration",
        "startedAt": "2026-11-26T10:00:00.000Z",
        "stateMachine": "s-CheckoutStateMachine",
        "failure": {"step": "ChargePayment", "error": "<b>x</b>"},
        "path": "sagas/s-CheckoutStateMachine/<script>",
    }
    html = pages.rows_html([row])
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html


def test_a_running_execution_marks_the_state_it_is_in() -> None:
    start = datetime(2026, 11, 26, tzinfo=UTC)
    found = [
        Visit("StartOrResume", "Choice", start, start),
        Visit("CreateOrder", "Task", start, start + timedelta(milliseconds=30), [Attempt(start)]),
        Visit("ReserveStock", "Task", start + timedelta(milliseconds=30), None, [Attempt(start)]),
    ]
    drawn = graph.with_path(graph.state_graph(real_definition()), found, running=True)

    classes = {node["id"]: node["classes"] for node in drawn["nodes"]}
    assert [name for name, marks in classes.items() if "current" in marks] == ["ReserveStock"]
    assert "taken" in classes["CreateOrder"]
    assert "taken" not in classes["ChargePayment"]
    # Once the execution has ended, nothing is "current".
    ended = graph.with_path(graph.state_graph(real_definition()), found, running=False)
    assert not [node for node in ended["nodes"] if "current" in node["classes"]]
