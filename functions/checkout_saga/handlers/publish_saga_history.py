"""The sagas' history publisher: both saga logs' streams invoke it, and it puts each event a change of a saga's
log item added (logic/saga_history.py) on the event bus, source `checkout-saga.history`, detail-type the event's
type, time the event's own. So every saga, orchestrated or choreographed, checkout or return, reaches the bus and
its archive with the same events, and a step writes nothing more (docs/events.md)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from checkout_saga.dal.dynamodb_values import from_wire
from checkout_saga.dal.eventbridge_bus import put_all
from checkout_saga.handlers.dependencies import Repositories, aws_client, repositories
from checkout_saga.logic.saga_history import PublishedEvent, added_events, bus_entry, facts_of
from checkout_saga.models import SagaRecord
from checkout_saga.observability import logger
from checkout_saga.saga_definition import CHECKOUT, RETURN, SagaDefinition
from checkout_saga.settings import StepSettings, load_settings


class HistorySettings(StepSettings):
    event_bus_name: str = Field(alias="EVENT_BUS_NAME", min_length=1)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = load_settings(HistorySettings)
    repos = repositories(settings)
    sagas = {settings.saga_log_table: CHECKOUT, settings.return_saga_log_table: RETURN}
    entries = [
        bus_entry(published, settings.event_bus_name)
        for record in event.get("Records", [])
        for published in events_added(record, _saga_of(record["eventSourceARN"], sagas), repos)
    ]
    put_all(aws_client("events"), entries)
    logger.info("history events published", count=len(entries))
    return {"published": len(entries)}


def events_added(record: dict[str, Any], saga: SagaDefinition, repos: Repositories) -> list[PublishedEvent]:
    """The events one stream record's change of a saga's log item added."""
    images = record["dynamodb"]
    after, before = _saga(images.get("NewImage")), _saga(images.get("OldImage"))
    if after is None:  # an item removed, or one with no history yet: no event
        return []
    added = added_events(before, after, saga, lambda: facts_of(after, saga, repos.orders, repos.returns))
    return [PublishedEvent(saga_id=after.saga_id, kind=saga.kind, event=event) for event in added]


def _saga(image: dict[str, Any] | None) -> SagaRecord | None:
    """A saga log item as its stream carries it; None where it holds no transition yet (an item is seen with its
    key alone before its first transition)."""
    if image is None or "history" not in image:
        return None
    return SagaRecord.model_validate(from_wire(image))


def _saga_of(stream_arn: str, sagas: dict[str, SagaDefinition]) -> SagaDefinition:
    """The saga whose log table the stream belongs to (arn:...:table/<name>/stream/<label>)."""
    table = stream_arn.split(":table/", 1)[1].split("/stream/", 1)[0]
    return sagas[table]
