"""SweepStalledSagasFunction, every minute: the backstop of the sagas' timers (choreography/saga_timer.py). Each
choreographed saga that has not advanced for STALLED_AFTER_SECONDS is compensated (a SagaStalled event starts its
undo), and counted in the metric StalledSagas (0 included). A saga's timer finds it first; the sweep finds it when
the timer was lost too. An operator may sweep at once with a shorter bound: `{"stalledAfterSeconds": 5}` as the
invocation's event."""

from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from checkout_saga.clock import iso, utc_now_iso
from checkout_saga.handlers.dependencies import stalled_sagas
from checkout_saga.logic.stalled_sagas import idle_seconds, stalled_failure
from checkout_saga.observability import logger, metrics, tracer
from checkout_saga.settings import StepSettings, load_settings


class SweeperSettings(StepSettings):
    stalled_after_seconds: int = Field(alias="STALLED_AFTER_SECONDS", gt=0)


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = load_settings(SweeperSettings)
    bound = int(event.get("stalledAfterSeconds") or settings.stalled_after_seconds)
    now = datetime.now(UTC)
    cutoff = iso(now - timedelta(seconds=bound))
    sagas = stalled_sagas(settings)
    swept = []
    for saga in sagas.idle_since(cutoff):
        idle = int(idle_seconds(saga.updated_at, now))
        if sagas.sweep(saga, stalled_failure(saga.state, idle), utc_now_iso()):
            logger.warning("stalled saga compensated", saga_id=saga.saga_id, state=saga.state.value, idle_seconds=idle)
            swept.append(saga.saga_id)
    metrics.add_metric(name="StalledSagas", unit="Count", value=len(swept))
    return {"swept": swept}
