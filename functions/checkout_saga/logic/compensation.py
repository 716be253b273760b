"""What every compensation does first: keep the forward failure that sent the saga into reverse."""

from checkout_saga.dal.interfaces import SagaLogRepository
from checkout_saga.models import SagaContext, SagaFailureRecord


def note_failure(context: SagaContext, saga_log: SagaLogRepository, now: str) -> SagaFailureRecord | None:
    """Record the failing step, error and cause once; return it only when this call recorded it."""
    if context.failed_step is None or context.failure is None:
        return None  # resumed compensation, or a compensation invoked by hand
    failure = SagaFailureRecord(
        step=context.failed_step.value, error=context.failure.Error, cause=context.failure.message
    )
    return failure if saga_log.record_failure(context.order_id, failure, now) else None
