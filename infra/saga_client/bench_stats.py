"""Summaries of timing samples for the benchmark report (milliseconds, rounded for reading)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default), so p99 of 200 samples is not
    simply the maximum."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: Sequence[float]) -> dict[str, Any]:
    """count, mean, min, p50, p95, p99, max."""
    if not values:
        return {"count": 0}
    return {
        "count": len(values),
        "mean": _round(sum(values) / len(values)),
        "min": _round(min(values)),
        "p50": _round(percentile(values, 50)),
        "p95": _round(percentile(values, 95)),
        "p99": _round(percentile(values, 99)),
        "max": _round(max(values)),
    }


def _round(value: float) -> float:
    return round(value, 3)
