"""What a step returns to its handler: the document for the next state, and whether this call was the one
that recorded the step's transition (so metrics count each saga once, however often a step is delivered)."""

from dataclasses import dataclass

from checkout_saga.dal.interfaces import LogAppend, SagaLogRepository
from checkout_saga.models import ReturnContext, SagaContext, SagaState, SagaStatus


@dataclass(frozen=True)
class StepResult:
    context: SagaContext | ReturnContext
    transitioned: bool


def advance(
    context: SagaContext | ReturnContext,
    saga_log: SagaLogRepository,
    state: SagaState,
    now: str,
    status: SagaStatus | None = None,
    pending: LogAppend | None = None,
) -> StepResult:
    """Record that the saga reached `state` (once, however often the step is delivered) and hand its document on
    to the next state. `pending`: the transition the step's own write carried; recorded here only if that write
    did not happen (the effect was there already: a step delivered twice)."""
    if pending is not None and pending.appended:
        return StepResult(context, transitioned=True)
    return StepResult(
        context, transitioned=saga_log.record(context.saga_id, state, now, status=status, document=context)
    )
