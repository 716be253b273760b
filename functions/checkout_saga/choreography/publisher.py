"""The outbox's publisher: the outbox table's stream invokes it with the new items, and it puts each one on
the event bus as it was written (source `checkout-saga`, detail-type the event's name). An item written again
(a start repeated: MODIFY) was sent already. If the bus refuses any entry the whole batch fails and the
stream delivers it again: the events are sent at least once, and every consumer is idempotent."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from checkout_saga.dal.eventbridge_bus import put_all
from checkout_saga.handlers.dependencies import aws_client
from checkout_saga.observability import logger
from checkout_saga.saga_events import SOURCE
from checkout_saga.settings import load_settings


class PublisherSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    event_bus_name: str = Field(alias="EVENT_BUS_NAME", min_length=1)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    bus = load_settings(PublisherSettings).event_bus_name
    entries = [
        {"Source": SOURCE, "DetailType": image["name"]["S"], "Detail": image["detail"]["S"], "EventBusName": bus}
        for record in event.get("Records", [])
        if record.get("eventName") == "INSERT"
        for image in [record["dynamodb"]["NewImage"]]
    ]
    put_all(aws_client("events"), entries)
    logger.info("events published", count=len(entries))
    return {"published": len(entries)}
