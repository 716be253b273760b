"""MarkCompensationFailed: an undo kept failing after its retries; make it visible, never lose it."""

from checkout_saga.handlers.dependencies import Repositories
from checkout_saga.handlers.forward_failure import record_forward_failure
from checkout_saga.handlers.step import saga_step
from checkout_saga.logic.orders import mark_compensation_failed, settle_pivot
from checkout_saga.logic.results import StepResult
from checkout_saga.models import OrderStatus, SagaContext


@saga_step(
    "MarkCompensationFailed",
    SagaContext,
    on_transition="SagaCompensationFailed",
    ends_as=OrderStatus.COMPENSATION_FAILED,
)
def handler(context: SagaContext, repos: Repositories, now: str) -> StepResult:
    settle_pivot(context, repos.orders, repos.saga_log)
    record_forward_failure(context, repos.saga_log, now)
    return mark_compensation_failed(context, repos.orders, repos.saga_log, now)
