"""The customers' read model's projector: the history events reach it through its queue (live, and replayed
from the archive: its rule, unlike the services', lets a replay through), and each one updates its saga's
projection (logic/customer_summary.py). An update is idempotent and commutes with the others, so redelivery and
any order of delivery leave the same model; a failed record is retried alone (ReportBatchItemFailures)."""

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from checkout_saga.dal.interfaces import ReadModelRepository
from checkout_saga.handlers.dependencies import read_model
from checkout_saga.logic.customer_summary import change_of
from checkout_saga.logic.saga_history import PublishedEvent


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    model = read_model()
    return process_partial_response(  # type: ignore[return-value]  # a TypedDict of the same shape
        event=event,
        record_handler=lambda record: project_record(record, model),
        processor=BatchProcessor(event_type=EventType.SQS),
        context=context,
    )


def project_record(record: SQSRecord, model: ReadModelRepository) -> None:
    change = change_of(PublishedEvent.model_validate(json.loads(record.body)["detail"]))
    if change is not None:
        model.apply(change)
