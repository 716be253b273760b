"""The CloudWatch dashboard of template.yaml, the saga console's metrics panel and the functions agree on the
metrics: one namespace and service (template Globals), the names the handlers emit, the same percentiles."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from samtranslator.yaml_helper import yaml_parse

from checkout_saga.handlers.forward_failure import STEP_FAILED
from checkout_saga.handlers.saga_duration import SAGA_DURATION
from local_cloud.console.saga_kinds import CHECKOUT

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = yaml_parse((ROOT / "template.yaml").read_text(encoding="utf-8"))
VARIABLES = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
HANDLERS = ROOT / "functions" / "checkout_saga" / "handlers"


def widgets() -> list[dict[str, Any]]:
    body = TEMPLATE["Resources"]["SagaDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    return list(json.loads(body.replace("${AWS::Region}", "us-east-1"))["widgets"])


def metric_rows() -> list[list[Any]]:
    return [row for widget in widgets() for row in widget["properties"]["metrics"] if isinstance(row[0], str)]


def dimensions(row: list[Any]) -> dict[str, str]:
    names_and_values = [item for item in row[2:] if isinstance(item, str)]
    return dict(zip(names_and_values[::2], names_and_values[1::2], strict=True))


def test_every_metric_is_in_the_functions_namespace_and_service() -> None:
    assert VARIABLES["POWERTOOLS_METRICS_NAMESPACE"] == CHECKOUT.metrics_namespace
    for row in metric_rows():
        assert row[0] == CHECKOUT.metrics_namespace
        assert dimensions(row)["service"] == VARIABLES["POWERTOOLS_SERVICE_NAME"]


def test_the_dashboard_counts_every_outcome_and_searches_the_failed_steps() -> None:
    counted = {row[1] for row in metric_rows() if "stat" not in row[-1]}
    returns = {"ReturnStarted", "ReturnCompleted", "ReturnCancelled", "ReturnCompensationFailed"}
    assert counted == {CHECKOUT.started_metric, *CHECKOUT.outcome_metrics.values(), *returns}
    [search] = [
        row[0]["expression"] for w in widgets() for row in w["properties"]["metrics"] if isinstance(row[0], dict)
    ]
    assert f"{{{CHECKOUT.metrics_namespace},error,service,step}}" in search
    assert f'MetricName="{CHECKOUT.failure_metric}"' in search


def test_the_dashboard_has_p50_and_p95_durations_of_every_outcome() -> None:
    durations = {
        (dimensions(row)["outcome"], row[-1]["stat"]) for row in metric_rows() if row[1] == CHECKOUT.duration_metric
    }
    assert durations == {(outcome, stat) for outcome in CHECKOUT.outcome_metrics for stat in ("p50", "p95")}


def test_the_functions_emit_the_names_the_console_and_dashboard_read() -> None:
    sources = "\n".join(path.read_text(encoding="utf-8") for path in HANDLERS.rglob("*.py"))
    ends = dict(re.findall(r'on_transition="(\w+)",\s*ends_as=OrderStatus\.(\w+)', sources))
    assert {outcome: metric for metric, outcome in ends.items()} == CHECKOUT.outcome_metrics
    assert f'"{CHECKOUT.started_metric}"' in sources
    assert CHECKOUT.failure_metric == STEP_FAILED
    assert CHECKOUT.duration_metric == SAGA_DURATION


def test_the_console_queries_the_saga_log_index_the_template_declares() -> None:
    indexes = TEMPLATE["Resources"]["SagaLogTable"]["Properties"]["GlobalSecondaryIndexes"]
    [index] = [index for index in indexes if index["IndexName"] == CHECKOUT.status_index]
    assert [key["AttributeName"] for key in index["KeySchema"]] == ["status", "startedAt"]
    assert TEMPLATE["Outputs"][CHECKOUT.saga_log_output]["Value"] == {"Ref": "SagaLogTable"}
    assert TEMPLATE["Outputs"][CHECKOUT.state_machine_output]["Value"] == {"Ref": "CheckoutStateMachine"}
