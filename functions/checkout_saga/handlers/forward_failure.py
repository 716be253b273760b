"""What every compensation handler does before undoing its step: keep and count the forward failure."""

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from checkout_saga.dal.interfaces import SagaLogRepository
from checkout_saga.logic.compensation import note_failure
from checkout_saga.models import FlowContext
from checkout_saga.observability import logger, metrics


def record_forward_failure(context: FlowContext, saga_log: SagaLogRepository, now: str) -> None:
    failure = note_failure(context, saga_log, now)
    if failure is None:
        return
    logger.warning("saga compensating", failed_step=failure.step, error=failure.error, cause=failure.cause)
    with single_metric(
        name="StepFailed",
        unit=MetricUnit.Count,
        value=1,
        namespace=metrics.namespace,
        default_dimensions={"step": failure.step, "error": failure.error},
    ):
        pass
