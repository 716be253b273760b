"""What every compensation handler does before undoing its step: keep and count the forward failure."""

from aws_lambda_powertools.metrics import MetricUnit

from checkout_saga.dal.interfaces import SagaLogRepository
from checkout_saga.logic.compensation import note_failure
from checkout_saga.models import FlowContext
from checkout_saga.observability import emit_now, logger

STEP_FAILED = "StepFailed"  # per step and error: the console and the dashboard read it


def record_forward_failure(context: FlowContext, saga_log: SagaLogRepository, now: str) -> None:
    failure = note_failure(context, saga_log, now)
    if failure is None:
        return
    logger.warning("saga compensating", failed_step=failure.step, error=failure.error, cause=failure.cause)
    emit_now(STEP_FAILED, MetricUnit.Count, 1, {"step": failure.step, "error": failure.error})
