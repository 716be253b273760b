"""A choreographed saga has no orchestrator waiting on it: if an event is lost (or a message poisoned into a
dead-letter queue), nothing happens next. Such a saga is found by its timer (or, should the timer be lost, by the
sweeper a minute later) and undone from the start of the undo, as an operator's forced compensation does: each
undo reads from the data what is left to undo, and RefundPayment's fence settles the pivot (a saga that was
confirmed meanwhile stays CONFIRMED).

A saga is stalled when its saga log has not changed for the bound: no transition, no sweep, and no retried
attempt (a step retrying notes it, so an undo waiting out its backoff is not taken for a stalled one)."""

from datetime import datetime

from checkout_saga.clock import parse_iso
from checkout_saga.logic.saga_operations import step_after
from checkout_saga.models import SagaState
from checkout_saga.saga_events import SAGA_STALLED


def stalled_failure(state: SagaState, idle: int) -> dict[str, object]:
    """The saga document's failure, as a Catch would put it: the step that never came, and why."""
    step = step_after(state)
    cause = f"no event for {idle} s while {state.value}: the saga is compensated"
    return {"failedStep": step.value, "failure": {"Error": SAGA_STALLED, "Cause": cause}}


def idle_seconds(updated_at: str, now: datetime) -> float:
    """How long the saga log has not changed (its `updatedAt`, ISO 8601 UTC) at `now` (aware)."""
    return (now - parse_iso(updated_at)).total_seconds()


def seconds_until_stalled(updated_at: str, now: datetime, bound: int) -> float:
    """How long until a saga last changed at `updated_at` has been idle for `bound` seconds; 0 if it has."""
    return max(0.0, bound - idle_seconds(updated_at, now))
