"""Which sagas the console knows, learnt from AWS itself: a state machine tagged ``saga:kind`` coordinates sagas
and its tags say where they are logged and which metrics count them. The console knows no product's names; the
product's template sets the tags (docs/local-cloud.md, "Saga kinds"):

- ``saga:kind``: the kind's name;
- ``saga:log-table`` and ``saga:status-index``: the saga log, one item per saga keyed ``sagaId``, and its index
  by ``status`` (HASH) and ``startedAt`` (RANGE);
- ``saga:statuses``: the values of ``status``, space-separated, in display order: a saga in progress, then one
  that succeeded, then the others; the last, if more than two, is the one that needs an operator (the console
  colours them so, knowing no status by name);
- ``saga:metric-namespace`` and ``saga:metric-prefix``: the kind's EMF metrics are ``<prefix>Started`` and, for each
  status of ``saga:outcomes``, ``<prefix><Status>`` (``UNDO_FAILED`` -> ``<prefix>UndoFailed``);
- ``saga:failure-metric`` (dimensions ``step`` and ``error``) and ``saga:duration-metric`` (milliseconds, dimension
  ``outcome``), each optional.

A choreographed saga has no execution: its saga-log record says so in its ``coordination`` field, and its page
then shows the history without a graph."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

TAG = "saga:"


@dataclass(frozen=True)
class SagaKind:
    name: str
    statuses: tuple[str, ...]
    metric_namespace: str
    metric_prefix: str
    outcomes: tuple[str, ...]  # the statuses a count metric follows
    failure_metric: str | None
    duration_metric: str | None

    @property
    def started_metric(self) -> str:
        return f"{self.metric_prefix}Started"

    def outcome_metric(self, status: str) -> str:
        return self.metric_prefix + "".join(word.capitalize() for word in status.split("_"))

    @property
    def outcome_metrics(self) -> dict[str, str]:
        return {status: self.outcome_metric(status) for status in self.outcomes}

    def status_role(self, status: str) -> str:
        """How the console shows a status: ``in-progress``, ``succeeded``, ``stuck`` or ``ended``."""
        position = self.statuses.index(status) if status in self.statuses else -1
        if position in (0, 1):
            return ("in-progress", "succeeded")[position]
        return "stuck" if len(self.statuses) > 2 and position == len(self.statuses) - 1 else "ended"


@dataclass(frozen=True)
class SagaMachine:
    """One state machine that coordinates sagas of a kind, with where it logs them."""

    arn: str
    name: str
    kind: SagaKind
    log_table: str
    status_index: str


def saga_machine(arn: str, name: str, tags: Mapping[str, str]) -> SagaMachine | None:
    """The description in a state machine's tags; None for a state machine that is no saga's, or whose tags
    lack what listing its sagas takes."""
    found = {key.removeprefix(TAG): value.strip() for key, value in tags.items() if key.startswith(TAG)}
    required = ("kind", "log-table", "status-index", "statuses", "metric-namespace", "metric-prefix")
    if not all(found.get(key) for key in required):
        return None
    kind = SagaKind(
        name=found["kind"],
        statuses=tuple(found["statuses"].split()),
        metric_namespace=found["metric-namespace"],
        metric_prefix=found["metric-prefix"],
        outcomes=tuple(found.get("outcomes", "").split()),
        failure_metric=found.get("failure-metric") or None,
        duration_metric=found.get("duration-metric") or None,
    )
    return SagaMachine(arn, name, kind, found["log-table"], found["status-index"])


def kinds_of(machines: list[SagaMachine]) -> list[SagaKind]:
    """Each kind once (several stacks may run the same kind), in the order first found."""
    return list(dict.fromkeys(machine.kind for machine in machines))
