"""Dead letters end to end: a choreographed checkout whose first event the orders queue refuses (its policy was
broken) lands in that queue's dead-letter queue, as EventBridge's target dead-letter queue sends it; once the
policy is fixed, the redrive (`make redrive`'s code) moves it back, the saga runs to its end, and the same event
delivered once more changes nothing: stock and money taken once. The dead-letter queue's alarm fires on that first
message."""

import json
import time
from datetime import UTC, datetime

import pytest

from checkout_saga.models import PaymentStatus
from saga_client.choreography_stack import SERVICE_QUEUES, wait_until_empty
from saga_client.redrive import redrive
from tests.e2e.test_alarms_e2e import physical
from tests.e2e.test_compensation_failed_alarm import alerts_queue, raised_after
from tests.e2e.test_coordinations_e2e import checkout
from tests.e2e.test_saga_e2e import wait_for_order
from tests.support.stack import Stack

ORDERS_QUEUE = "OrdersEventsQueueUrl"


def dead_letters_of(stack: Stack, output: str) -> str:
    sqs = stack.client("sqs")
    redrive_policy = sqs.get_queue_attributes(QueueUrl=stack.outputs[output], AttributeNames=["RedrivePolicy"])
    arn = json.loads(redrive_policy["Attributes"]["RedrivePolicy"])["deadLetterTargetArn"]
    return str(sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[1])["QueueUrl"])


def wait_for_message(stack: Stack, url: str, timeout: float = 30) -> str:
    """The body of the first message on the queue, left there (visible again at once)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = stack.client("sqs").receive_message(QueueUrl=url, VisibilityTimeout=0, WaitTimeSeconds=1)
        if messages.get("Messages"):
            return str(messages["Messages"][0]["Body"])
    raise AssertionError(f"no message on {url} within {timeout} s")


@pytest.mark.e2e
def test_a_refused_event_is_kept_then_redriven_and_processed_once(deployed_stack: Stack, sku: str) -> None:
    alerts = alerts_queue(deployed_stack)
    sqs = deployed_stack.client("sqs")
    url = deployed_stack.outputs[ORDERS_QUEUE]
    alarm = physical(deployed_stack, "OrdersEventsDeadLetterQueueDepthAlarm")
    reset = datetime.now(UTC)
    deployed_stack.client("cloudwatch").set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="test: reset")
    policy = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]
    broken = json.loads(policy)
    for statement in broken["Statement"]:
        statement["Condition"]["ArnEquals"]["aws:SourceArn"] += "-not-this-rule"
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(broken)})
    try:  # whatever happens, the queue's policy is put back: the worker's later tests need the orders service
        accepted = checkout(deployed_stack, sku, 2, "tok_visa", "choreography")
        event = json.loads(wait_for_message(deployed_stack, dead_letters_of(deployed_stack, ORDERS_QUEUE)))
        assert (event["detail-type"], event["detail"]["sagaId"]) == ("CheckoutRequested", accepted["orderId"])
        assert deployed_stack.orders.get(accepted["orderId"]) is None  # nothing happened yet
        [raised, *_] = raised_after(deployed_stack, alerts, alarm, reset)  # the first message raises it
        assert raised["Trigger"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    finally:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})  # the fix

    moved = {result.source_queue: result.moved for result in redrive(deployed_stack)}

    assert moved[url.rsplit("/", 1)[1]] == 1
    assert sum(moved.values()) == 1
    order = wait_for_order(deployed_stack, accepted["orderId"])
    assert order["status"] == "CONFIRMED"
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event))  # the same event once more (at least once)
    wait_until_empty(deployed_stack, SERVICE_QUEUES, timeout=20)
    assert deployed_stack.available(sku) == {sku: 8}
    payment = deployed_stack.payments.get(accepted["orderId"])
    assert payment is not None
    assert (payment.status, payment.amount_cents) == (PaymentStatus.CAPTURED, 2 * 1250)
    assert deployed_stack.orders.get(accepted["orderId"]).status.value == "CONFIRMED"
