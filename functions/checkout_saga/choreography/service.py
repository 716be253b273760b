"""A choreographed service: the consumer of one service's SQS queue (orders, inventory or payments).

For each event it runs the step that reacts to it (`saga_events.REACTIONS`) by calling the very handler the state
machine invokes, with the saga log seen through the outbox: the step's effect, its transition and the event
announcing it are written in one transaction. What the state machine's Retry and Catch decide, this adapter decides
the same way, from the same definition (saga_definition.py): a forward step retries only transient errors,
`StepMaxAttempts` times in all, then fails; an undo retries anything, `CompensationMaxAttempts` times in all, then
the saga is marked COMPENSATION_FAILED. One difference, which the outbox makes: a step whose transition is recorded
has happened, its event is out and the saga has moved on, so an error raised after that (fault injection's
`transient` mode) is retried but never turns into a failure. A retry is the message coming back: its visibility is
set to the retry interval (times the backoff rate per attempt) and the batch reports it failed
(ReportBatchItemFailures), so only that message is delivered again; the saga log notes the attempt, so the saga's
timer does not take a saga waiting out a retry for a stalled one."""

import importlib
import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from checkout_saga.clock import utc_now_iso
from checkout_saga.dal.dynamodb_outbox import OutboxSagaLog, StepFailedMeanwhile
from checkout_saga.dal.dynamodb_saga_log import DynamoDBSagaLog
from checkout_saga.dal.interfaces import SagaLogRepository
from checkout_saga.errors import SagaGivenUp
from checkout_saga.handlers.dependencies import (
    aws_client,
    outbox,
    repositories,
    saga_log_seen_through,
    stalled_sagas,
)
from checkout_saga.handlers.step import LambdaHandler
from checkout_saga.models import OrderStatus
from checkout_saga.observability import logger
from checkout_saga.saga_definition import CHECKOUT, SagaDefinition
from checkout_saga.saga_events import COMPENSATION_FAILED, REACTIONS, SagaEvent, failed, read_event
from checkout_saga.settings import StepSettings, load_settings

SAGA = CHECKOUT  # the choreographed saga


def step_handlers(saga: SagaDefinition) -> dict[str, LambdaHandler]:
    """Each step's handler, the very one its state machine Task invokes: `checkout_saga.handlers.<step_name>`."""
    handlers: dict[str, LambdaHandler] = {}
    for step in (*saga.steps, saga.gives_up):
        module = "".join(f"_{c.lower()}" if c.isupper() else c for c in step.name).lstrip("_")
        handlers[step.name] = importlib.import_module(f"checkout_saga.handlers.{module}").handler
    return handlers


def ending_errors(saga: SagaDefinition) -> dict[str, frozenset[str]]:
    """Errors after which the saga has nothing left to do here, as the state machine's Catches end it (another
    order holds the id, the pivot was passed, the undo had completed), and two of the choreography's own: another
    delivery of a forward step emitted its failure first (StepFailedMeanwhile: the undo it started owns the
    saga), and an undo refused because the saga was given up (SagaGivenUp: only a resume runs the undo again)."""
    own = {
        **{step.name: frozenset({StepFailedMeanwhile.__name__}) for step in saga.forward},
        **{step.name: frozenset({SagaGivenUp.__name__}) for step in saga.compensations},
    }
    return {
        step.name: frozenset(step.ending_errors) | own.get(step.name, frozenset())
        for step in (*saga.steps, saga.gives_up)
    }


STEP_HANDLERS = step_handlers(SAGA)
ENDS_HERE = ending_errors(SAGA)
# A forward step retries these (the state machine's Retry also lists the invocation's own errors: here a failed
# invocation is retried by SQS whatever it was); an undo retries every error.
TRANSIENT = frozenset(SAGA.transient_errors)
MARK_COMPENSATION_FAILED = SAGA.gives_up.name


class ServiceSettings(StepSettings):
    step_max_attempts: int = Field(alias="STEP_MAX_ATTEMPTS", ge=1)
    compensation_max_attempts: int = Field(alias="COMPENSATION_MAX_ATTEMPTS", ge=1)
    retry_interval_seconds: int = Field(alias="RETRY_INTERVAL_SECONDS", ge=0)
    retry_backoff_rate: float = Field(alias="RETRY_BACKOFF_RATE", ge=1)


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = load_settings(ServiceSettings)
    processor = BatchProcessor(event_type=EventType.SQS)
    return process_partial_response(  # type: ignore[return-value]  # a TypedDict of the same shape
        event=event,
        record_handler=lambda record: react(record, context, settings),
        processor=processor,
        context=context,
    )


def react(record: SQSRecord, context: LambdaContext, settings: ServiceSettings) -> None:
    event = read_event(json.loads(record.body)["detail"])  # the current or the previous version
    step = REACTIONS[event.name]
    attempt = int(record.attributes.approximate_receive_count)

    seen: list[OutboxSagaLog] = []

    def through_outbox(saga_log: SagaLogRepository) -> SagaLogRepository:
        assert isinstance(saga_log, DynamoDBSagaLog)
        forward = step if SAGA.is_forward(step) else None
        seen.append(OutboxSagaLog(saga_log, outbox(settings), event.round, event.context, forward))
        return seen[-1]

    if SAGA.is_undo(step) and _given_up(event.saga_id, settings):
        logger.info("the undo was given up: only a resume runs it again", saga_id=event.saga_id, step=step)
        return
    try:
        with saga_log_seen_through(through_outbox):
            STEP_HANDLERS[step](event.context, context)
    except Exception as exc:
        error = type(exc).__name__
        outcome = _outcome(step, error, attempt, settings, announced=any(log.announced for log in seen))
        # One line per failed attempt: what the chaos report counts (saga_client/choreography_stack.py).
        logger.warning(
            "step attempt failed", saga_id=event.saga_id, step=step, error=error, attempt=attempt, outcome=outcome
        )
        if outcome == "retried":
            _come_back_later(record, settings.retry_interval_seconds * settings.retry_backoff_rate ** (attempt - 1))
            stalled_sagas(settings).note_attempt(event.saga_id, utc_now_iso())  # waiting out a retry: not stalled
            raise
        if outcome == "redriven":
            raise  # never silent: delivered again until the queue's redrive moves it to the dead-letter queue
        if outcome == "failed":
            _emit_failure(event, step, exc)


def _outcome(step: str, error: str, attempt: int, settings: ServiceSettings, announced: bool) -> str:
    """What a failed attempt leads to: the saga ends here (as the state machine's Catch would end it), the
    message comes back (`retried`), the step fails for good (`failed`: its failure event goes out), or, when
    its transition and event were written already, the error came after the fact: the saga has moved on and
    nothing is compensated (`dropped`)."""
    if error in ENDS_HERE.get(step, frozenset()):
        return "ends"
    if _retried(step, error, attempt, settings):
        return "retried"
    if announced:
        return "dropped"
    return "redriven" if step == MARK_COMPENSATION_FAILED else "failed"


def _given_up(saga_id: str, settings: ServiceSettings) -> bool:
    """The saga was marked COMPENSATION_FAILED: an undo event delivered again (at least once) must not finish the
    undo behind the operator's back; the resume (POST /sagas/{orderId}/resume) does, visibly."""
    saga = repositories(settings).saga_log.get(saga_id)
    return saga is not None and saga.status is OrderStatus.COMPENSATION_FAILED


def _retried(step: str, error: str, attempt: int, settings: ServiceSettings) -> bool:
    if SAGA.is_undo(step) or step == MARK_COMPENSATION_FAILED:
        return attempt < settings.compensation_max_attempts
    return error in TRANSIENT and attempt < settings.step_max_attempts


def _emit_failure(event: SagaEvent, step: str, exc: Exception) -> None:
    """What the state machine's Catch does: keep the error at the saga document's failure (or compensation
    failure) and go where it leads."""
    error = type(exc).__name__
    failure = {"Error": error, "Cause": json.dumps({"errorMessage": str(exc), "errorType": error})}
    undo = SAGA.is_undo(step)
    if undo:
        name, kept = COMPENSATION_FAILED, {"failedCompensation": step, "compensationFailure": failure}
    else:
        name, kept = failed(step), {"failedStep": step, "failure": failure}
    # A failed step hands on its input, with the failure kept beside it (a Catch's ResultPath).
    emitted = SagaEvent(saga_id=event.saga_id, name=name, round=event.round, context={**event.context, **kept})
    if undo:
        outbox().emit(emitted, utc_now_iso())
    elif not outbox().emit_failure(emitted, load_settings(StepSettings).saga_log_table, step, utc_now_iso()):
        logger.info("no failure emitted: the step took effect in another delivery", saga_id=event.saga_id, step=step)


def _come_back_later(record: SQSRecord, delay_seconds: float) -> None:
    """The retry's delay: the message stays invisible that long, then SQS delivers it again."""
    region, account, queue = record.event_source_arn.split(":")[3:6]
    aws_client("sqs").change_message_visibility(
        QueueUrl=f"https://sqs.{region}.amazonaws.com/{account}/{queue}",
        ReceiptHandle=record.receipt_handle,
        VisibilityTimeout=max(0, min(int(delay_seconds), 43200)),
    )
