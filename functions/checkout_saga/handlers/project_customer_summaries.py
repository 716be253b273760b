"""The customers' read model's projector: the history events reach it through its queue (live, and replayed
from the archive: its rule, unlike the services', lets a replay through), and each one becomes its item of its
saga's projection (logic/customer_summary.py). An event's item is the same whenever and however often it comes,
so redelivery and any order of delivery leave the same model.

A batch is read first, then written in one go, 25 items a request. A record that cannot be read fails alone; if
the write fails, every record read fails (ReportBatchItemFailures): they come back and are written again,
harmlessly."""

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from checkout_saga.dal.interfaces import ReadModelRepository
from checkout_saga.handlers.dependencies import read_model
from checkout_saga.logic.customer_summary import change_of
from checkout_saga.logic.saga_history import PublishedEvent
from checkout_saga.models import ProjectionChange

logger = Logger()


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return project_batch(event, read_model(), context)


def project_batch(
    event: dict[str, Any], model: ReadModelRepository, context: LambdaContext | None = None
) -> dict[str, Any]:
    changes: dict[str, ProjectionChange] = {}  # by the record's message id

    def read(record: SQSRecord) -> None:
        change = change_of(PublishedEvent.model_validate(json.loads(record.body)["detail"]))
        if change is not None:
            changes[record.message_id] = change

    processor = BatchProcessor(event_type=EventType.SQS)
    with processor(records=event["Records"], handler=read, lambda_context=context):
        processor.process()
    response: dict[str, Any] = dict(processor.response())
    try:
        model.apply(changes.values())
    except Exception:  # as the batch processor does for a record: these come back, the others are done
        logger.exception("projecting the batch failed", extra={"records": list(changes)})
        response["batchItemFailures"] += [{"itemIdentifier": record_id} for record_id in changes]
    return response
