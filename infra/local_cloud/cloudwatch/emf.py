"""CloudWatch embedded metric format (EMF): the metric data a log line carries, as CloudWatch extracts it.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Datum:
    namespace: str
    name: str
    unit: str
    dimensions: tuple[tuple[str, str], ...]  # sorted (name, value) pairs
    values: tuple[float, ...]

    def dimension(self, name: str) -> str | None:
        return dict(self.dimensions).get(name)


def data_in(message: str) -> list[Datum]:
    """The data of one log message; [] for a line that is not an EMF document (most are not)."""
    if '"_aws"' not in message:
        return []
    try:
        document = json.loads(message)
        directives = document["_aws"]["CloudWatchMetrics"]
    except (ValueError, TypeError, KeyError):
        return []
    found = []
    for directive in directives if isinstance(directives, list) else []:
        for dimension_set in directive.get("Dimensions") or [[]]:
            dimensions = tuple(sorted((str(name), str(document.get(name, ""))) for name in dimension_set))
            for metric in directive.get("Metrics", []):
                values = _values(document.get(metric.get("Name")))
                if values:
                    found.append(
                        Datum(
                            str(directive.get("Namespace", "")),
                            str(metric["Name"]),
                            str(metric.get("Unit", "None")),
                            dimensions,
                            values,
                        )
                    )
    return found


def _values(raw: Any) -> tuple[float, ...]:
    items = raw if isinstance(raw, list) else [raw]
    return tuple(float(item) for item in items if isinstance(item, int | float) and not isinstance(item, bool))
