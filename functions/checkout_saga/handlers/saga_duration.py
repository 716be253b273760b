"""SagaDuration: how long a saga took from its first recorded transition to its outcome, one datum per saga,
with the outcome as dimension (CloudWatch's p50/p95 per outcome; the local console reads the same EMF)."""

from aws_lambda_powertools.metrics import MetricUnit

from checkout_saga.clock import parse_iso
from checkout_saga.dal.interfaces import SagaLogRepository
from checkout_saga.models import OrderStatus
from checkout_saga.observability import emit_now

SAGA_DURATION = "SagaDuration"


def elapsed_ms(started_at: str, ended_at: str) -> float:
    return (parse_iso(ended_at) - parse_iso(started_at)).total_seconds() * 1000


def record_saga_duration(saga_id: str, outcome: OrderStatus, saga_log: SagaLogRepository, now: str) -> None:
    saga = saga_log.get(saga_id)
    if saga is None:
        return
    emit_now(
        SAGA_DURATION, MetricUnit.Milliseconds, max(0.0, elapsed_ms(saga.started_at, now)), {"outcome": outcome.value}
    )
