"""The console's metrics panel from EMF data: sagas per outcome, failed steps per step and error, and saga
duration percentiles per outcome, from the metric names the kind's state machines name in their tags."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from local_cloud.cloudwatch.emf import Datum
from local_cloud.console.saga_kinds import SagaKind


def summarize(kind: SagaKind, steps: set[str], found: Iterable[Datum]) -> dict[str, Any]:
    """`steps`: the kind's steps; failures of other steps (another kind's, in the same namespace) are not its."""
    counts: Counter[str] = Counter()
    failures: Counter[tuple[str, str]] = Counter()
    durations: defaultdict[str, list[float]] = defaultdict(list)
    for datum in found:
        if datum.namespace != kind.metric_namespace:
            continue
        if datum.name == kind.failure_metric:
            step = datum.dimension("step") or "?"
            if step in steps:
                failures[(step, datum.dimension("error") or "?")] += int(sum(datum.values))
        elif datum.name == kind.duration_metric:
            durations[datum.dimension("outcome") or "?"].extend(datum.values)
        else:
            counts[datum.name] += int(sum(datum.values))
    return {
        "kind": kind.name,
        "namespace": kind.metric_namespace,
        "started": counts[kind.started_metric],
        "outcomes": {outcome: counts[metric] for outcome, metric in kind.outcome_metrics.items()},
        "outcomeRoles": {outcome: kind.status_role(outcome) for outcome in kind.outcomes},
        "failures": [
            {"step": step, "error": error, "count": count}
            for (step, error), count in sorted(failures.items(), key=lambda item: (-item[1], item[0]))
        ],
        "durations": None
        if kind.duration_metric is None
        else {
            outcome: {
                "count": len(values),
                "p50": percentile(values, 50),
                "p95": percentile(values, 95),
                "max": max(values),
            }
            for outcome, values in sorted(durations.items())
        },
    }


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile: the smallest value with at least p % of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]
