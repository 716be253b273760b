"""StalledSagaTimerFunction: each choreographed saga's timer, so that a saga that stops advancing is compensated
STALLED_AFTER_SECONDS after it last changed, not at the sweeper's next minute.

The saga's CheckoutRequested also goes to the timer queue, whose delay is the bound. When a timer comes due:
- the saga ended (or is not choreographed): the timer is dropped;
- the saga has not changed for the bound: it is swept, as the sweeper sweeps (a SagaStalled event starts its
  undo), counted in the metric StalledSagas, and its timer sent again (should the undo stall too);
- it changed meanwhile: the timer is sent again, due when the saga will have been idle for the bound.
So each saga has one timer, one message until it ends (most sagas end before it is first due), and a saga that
stands still is found at most a second or so after the bound. A timer that fails is delivered again by SQS."""

import json
import math
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from checkout_saga.clock import utc_now_iso
from checkout_saga.dal.dynamodb_stalled_sagas import DynamoDBStalledSagas
from checkout_saga.handlers.dependencies import aws_client, stalled_sagas
from checkout_saga.logic.stalled_sagas import idle_seconds, seconds_until_stalled, stalled_failure
from checkout_saga.observability import logger, metrics
from checkout_saga.settings import StepSettings, load_settings

_MAX_DELAY_SECONDS = 900  # SQS's longest message delay (and StalledSagaSeconds' MaxValue)


class TimerSettings(StepSettings):
    stalled_after_seconds: int = Field(alias="STALLED_AFTER_SECONDS", gt=0, le=_MAX_DELAY_SECONDS)
    timer_queue_url: str = Field(alias="TIMER_QUEUE_URL", min_length=1)


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = load_settings(TimerSettings)
    sagas = stalled_sagas(settings)
    swept: list[bool] = []
    response = process_partial_response(
        event=event,
        record_handler=lambda record: swept.append(come_due(record, sagas, settings)),
        processor=BatchProcessor(event_type=EventType.SQS),
        context=context,
    )
    metrics.add_metric(name="StalledSagas", unit="Count", value=sum(swept))  # 0 included, as the sweeper's
    return dict(response)


def come_due(record: SQSRecord, sagas: DynamoDBStalledSagas, settings: TimerSettings) -> bool:
    """True if the saga was compensated now."""
    saga_id = str(json.loads(record.body)["detail"]["sagaId"])
    saga = sagas.get(saga_id)
    if saga is None:
        return False
    now = datetime.now(UTC)
    wait = seconds_until_stalled(saga.updated_at, now, settings.stalled_after_seconds)
    swept = False
    if wait == 0:
        idle = int(idle_seconds(saga.updated_at, now))
        swept = sagas.sweep(saga, stalled_failure(saga.state, idle), utc_now_iso())
        if swept:
            logger.warning("stalled saga compensated", saga_id=saga_id, state=saga.state.value, idle_seconds=idle)
        wait = settings.stalled_after_seconds  # swept now, or moved just now: idle from now on
    aws_client("sqs").send_message(
        QueueUrl=settings.timer_queue_url,
        MessageBody=record.body,
        DelaySeconds=min(_MAX_DELAY_SECONDS, math.ceil(wait)),
    )
    return swept
