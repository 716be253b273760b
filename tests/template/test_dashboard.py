"""The CloudWatch dashboard of template.yaml charts the checkout and return sagas with the metrics the checkout state
machine's tags name (which the saga console reads, and tests/template/test_saga_tags.py holds to the handlers):
one namespace and service (template Globals), the same names, the same percentiles."""

from __future__ import annotations

import json
from typing import Any

from tests.support.saga_tags import TEMPLATE, described

VARIABLES = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
CHECKOUT = described("CheckoutStateMachine").kind
RETURN = described("ReturnStateMachine").kind


def widgets() -> list[dict[str, Any]]:
    body = TEMPLATE["Resources"]["SagaDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    return list(json.loads(body.replace("${AWS::Region}", "us-east-1"))["widgets"])


def metric_rows() -> list[list[Any]]:
    return [row for widget in widgets() for row in widget["properties"]["metrics"] if isinstance(row[0], str)]


def dimensions(row: list[Any]) -> dict[str, str]:
    names_and_values = [item for item in row[2:] if isinstance(item, str)]
    return dict(zip(names_and_values[::2], names_and_values[1::2], strict=True))


def test_every_metric_is_in_the_functions_namespace_and_service() -> None:
    assert VARIABLES["POWERTOOLS_METRICS_NAMESPACE"] == CHECKOUT.metric_namespace
    for row in metric_rows():
        assert row[0] == CHECKOUT.metric_namespace
        assert dimensions(row)["service"] == VARIABLES["POWERTOOLS_SERVICE_NAME"]


def test_the_dashboard_counts_every_outcome_and_searches_the_failed_steps() -> None:
    counted = {row[1] for row in metric_rows() if "stat" not in row[-1]}
    returns = {RETURN.started_metric, *RETURN.outcome_metrics.values()}
    assert counted == {CHECKOUT.started_metric, *CHECKOUT.outcome_metrics.values(), *returns}
    [search] = [
        row[0]["expression"] for w in widgets() for row in w["properties"]["metrics"] if isinstance(row[0], dict)
    ]
    assert f"{{{CHECKOUT.metric_namespace},error,service,step}}" in search
    assert f'MetricName="{CHECKOUT.failure_metric}"' in search


def test_the_dashboard_has_p50_and_p95_durations_of_every_outcome() -> None:
    durations = {
        (dimensions(row)["outcome"], row[-1]["stat"]) for row in metric_rows() if row[1] == CHECKOUT.duration_metric
    }
    assert durations == {(outcome, stat) for outcome in CHECKOUT.outcome_metrics for stat in ("p50", "p95")}
