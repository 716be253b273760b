"""SweepStaleSagasFunction, on a schedule: logs each saga PENDING for longer than STALE_AFTER_SECONDS and counts
them in the metric StalePendingSagas (0 included, so that an alarm can tell "none" from "no data")."""

from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from checkout_saga.handlers.dependencies import repositories
from checkout_saga.logic.stale_sagas import stale_pending_sagas
from checkout_saga.observability import logger, metrics, tracer
from checkout_saga.settings import StepSettings, load_settings


class SweepSettings(StepSettings):
    stale_after_seconds: int = Field(alias="STALE_AFTER_SECONDS", gt=0)


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = load_settings(SweepSettings)
    stale = stale_pending_sagas(
        repositories(settings).saga_log, datetime.now(UTC), timedelta(seconds=settings.stale_after_seconds)
    )
    for record in stale:
        logger.warning(
            "saga pending too long", saga_id=record.saga_id, state=record.state, started_at=record.started_at
        )
    metrics.add_metric(name="StalePendingSagas", unit="Count", value=len(stale))
    return {"stale": [record.saga_id for record in stale]}
