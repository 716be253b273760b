"""A choreographed saga has no orchestrator waiting on it: if an event is lost (or a message poisoned into a
dead-letter queue), nothing happens next. The sweeper finds such sagas and undoes them, from the start of the
undo, as an operator's forced compensation does: each undo reads from the data what is left to undo, and
RefundPayment's fence settles the pivot (a saga that was confirmed meanwhile stays CONFIRMED)."""

from checkout_saga.logic.saga_operations import step_after
from checkout_saga.models import SagaState

STALLED = "SagaStalled"  # the error the saga's failure records when the sweeper compensates it


def stalled_failure(state: SagaState, idle_seconds: int) -> dict[str, object]:
    """The saga document's failure, as a Catch would put it: the step that never came, and why."""
    step = step_after(state)
    cause = f"no event for {idle_seconds} s while {state.value}: the sweeper compensates the saga"
    return {"failedStep": step.value, "failure": {"Error": STALLED, "Cause": cause}}
