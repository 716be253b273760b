"""The customers' read model's projector: the history events reach it through its queue (live, and replayed
from the archive: its rule, unlike the services', lets a replay through), and each one updates its saga's
projection (logic/customer_summary.py). An update is idempotent and commutes with the others, so redelivery and
any order of delivery leave the same model.

A batch is read first, then written one saga at a time: a saga's events that arrive together (a replay delivers
them so) make one write. A record that cannot be read fails alone; a saga's write that fails fails the records it
was made of (ReportBatchItemFailures), which come back and are written again, harmlessly."""

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from checkout_saga.dal.interfaces import ReadModelRepository
from checkout_saga.handlers.dependencies import read_model
from checkout_saga.logic.customer_summary import by_saga, change_of
from checkout_saga.logic.saga_history import PublishedEvent
from checkout_saga.models import ProjectionChange

logger = Logger()


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return project_batch(event, read_model(), context)


def project_batch(
    event: dict[str, Any], model: ReadModelRepository, context: LambdaContext | None = None
) -> dict[str, Any]:
    changes: list[tuple[str, ProjectionChange]] = []

    def read(record: SQSRecord) -> None:
        change = change_of(PublishedEvent.model_validate(json.loads(record.body)["detail"]))
        if change is not None:
            changes.append((record.message_id, change))

    processor = BatchProcessor(event_type=EventType.SQS)
    with processor(records=event["Records"], handler=read, lambda_context=context):
        processor.process()
    response: dict[str, Any] = dict(processor.response())
    for record_ids, change in by_saga(changes):
        try:
            model.apply(change)
        except Exception:  # as the batch processor does for a record: these come back, the others are done
            logger.exception("projecting saga %s failed", change.saga_id, extra={"records": record_ids})
            response["batchItemFailures"] += [{"itemIdentifier": record_id} for record_id in record_ids]
    return response
