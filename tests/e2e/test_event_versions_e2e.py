"""Today's services consume events of the previous version: a choreographed checkout started, as a producer not
yet upgraded starts it, with a version-1 CheckoutRequested (no `schemaVersion`) runs to CONFIRMED; then every
event of that saga is delivered again in its version-1 shape to the services that react to it, and changes
nothing (nothing dead-lettered, stock and money taken once)."""

import json
import uuid
from typing import Any

import pytest

from checkout_saga.dal.dynamodb_outbox import DynamoDBOutbox
from checkout_saga.dal.outbox_starter import OutboxSagaStarter
from checkout_saga.models import PaymentStatus
from checkout_saga.saga_events import SagaEvent
from saga_client.choreography_stack import SERVICE_QUEUES, redeliver, saga_events, wait_until_empty
from saga_client.redrive import redrive
from tests.e2e.test_saga_e2e import wait_for_order
from tests.support.stack import Stack


def previous_version(detail: str) -> str:
    document = json.loads(detail)
    document.pop("schemaVersion", None)  # version 1 had none
    return json.dumps(document)


class PreviousVersionOutbox(DynamoDBOutbox):
    """The outbox as a producer of version 1 writes it: the same items, details without a version."""

    def put_request(self, event: SagaEvent, at: str) -> dict[str, Any]:
        request = super().put_request(event, at)
        request["Item"]["detail"] = previous_version(request["Item"]["detail"])
        return request


@pytest.mark.e2e
def test_previous_version_events_are_consumed_once(deployed_stack: Stack, sku: str) -> None:
    order_id = f"v1-{uuid.uuid4().hex[:10]}"
    document = {
        "orderId": order_id,
        "customerId": "c-v1",
        "items": [{"sku": sku, "quantity": 2, "unitPriceCents": 1250}],
        "sealedPaymentToken": deployed_stack.sealed_payment_token(order_id, "tok_visa"),
    }
    outbox = PreviousVersionOutbox(deployed_stack.outbox.table)
    OutboxSagaStarter(deployed_stack.outputs["SagaLogTableName"], outbox).start(order_id, document)
    [started] = [e for e in saga_events(deployed_stack, order_id) if e["name"] == "CheckoutRequested"]
    assert "schemaVersion" not in json.loads(started["detail"])

    assert wait_for_order(deployed_stack, order_id)["status"] == "CONFIRMED"
    wait_until_empty(deployed_stack, SERVICE_QUEUES, timeout=20)
    for event in saga_events(deployed_stack, order_id):  # every service gets version-1 events
        redeliver(deployed_stack, {"name": event["name"], "detail": previous_version(event["detail"])})
    wait_until_empty(deployed_stack, SERVICE_QUEUES, timeout=30)

    assert sum(result.moved for result in redrive(deployed_stack)) == 0  # nothing was dead-lettered
    assert deployed_stack.available(sku) == {sku: 8}
    payment = deployed_stack.payments.get(order_id)
    assert payment is not None
    assert (payment.status, payment.amount_cents) == (PaymentStatus.CAPTURED, 2 * 1250)
    assert deployed_stack.orders.get(order_id).status.value == "CONFIRMED"
