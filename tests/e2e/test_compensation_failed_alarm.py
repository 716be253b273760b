"""A saga that ends COMPENSATION_FAILED raises the stack's alarm, and the alarm notifies the alerts topic: the
metric comes from MarkCompensationFailed's embedded-metric log line, as CloudWatch extracts it on AWS."""

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from checkout_saga.models import OrderStatus, Product
from tests.support.queue_policy import topic_may_send

ALARM_WAIT = 15  # the local cloud evaluates alarms every 2 s


def failed_compensations(stack) -> float:
    now = datetime.now(UTC)
    answer = stack.client("cloudwatch").get_metric_statistics(
        Namespace="CheckoutSaga",
        MetricName="SagaCompensationFailed",
        Dimensions=[{"Name": "service", "Value": "checkout-saga"}],
        StartTime=now - timedelta(hours=1),
        EndTime=now + timedelta(minutes=1),
        Period=7200,
        Statistics=["Sum"],
    )
    return float(sum(point["Sum"] for point in answer["Datapoints"]))


def alerts_queue(stack) -> str:
    sqs = stack.client("sqs")
    url = sqs.create_queue(QueueName=f"alerts-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = stack.outputs["AlertsTopicArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": topic_may_send(topic, arn)})  # as AWS requires
    stack.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return str(url)


def raised_after(stack, queue_url: str, alarm_name: str, moment: datetime) -> list[dict[str, Any]]:
    """The alarm's ALARM notifications that the queue receives, of changes after `moment` (waits for one)."""
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + ALARM_WAIT
    while not found and time.monotonic() < deadline:
        answer = stack.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in answer.get("Messages", []):
            notification = json.loads(json.loads(message["Body"])["Message"])
            changed = datetime.strptime(notification["StateChangeTime"], "%Y-%m-%dT%H:%M:%S.%f%z")
            if (notification["AlarmName"], notification["NewStateValue"]) == (alarm_name, "ALARM") and changed > moment:
                found.append(notification)
    return found


@pytest.mark.e2e
def test_a_saga_ending_compensation_failed_raises_the_alarm_on_the_alerts_topic(deployed_stack):
    stack = deployed_stack
    [alarm_name] = [
        alarm["AlarmName"]
        for alarm in stack.client("cloudwatch").describe_alarms()["MetricAlarms"]
        if alarm["MetricName"] == "SagaCompensationFailed"
        and stack.outputs["AlertsTopicArn"] in alarm["AlarmActions"]  # this stack's, not one deployed beside it
    ]
    queue_url = alerts_queue(stack)
    before = failed_compensations(stack)
    sku = f"ALM-{uuid.uuid4().hex[:6]}"
    stack.seed([Product(sku=sku, name="Alarming", unit_price_cents=700, available=5)])
    order_id = f"alm-{uuid.uuid4().hex[:10]}"
    stack.set_faults({"ReleaseStock": {"mode": "fail", "rate": 1.0}})
    try:
        document = {"orderId": order_id, "customerId": "c-1", "items": [{"sku": sku, "quantity": 1}]}
        stack.wait(stack.start({**document, "paymentToken": "tok_declined"}, name=order_id))
    finally:
        stack.set_faults({})
    assert stack.orders.get(order_id).status is OrderStatus.COMPENSATION_FAILED
    assert failed_compensations(stack) == before + 1

    # An earlier test's failure may have raised it already: set it back by hand, and the next evaluation, which
    # counts this saga's datum, raises it again.
    reset = datetime.now(UTC)
    stack.client("cloudwatch").set_alarm_state(AlarmName=alarm_name, StateValue="OK", StateReason="test: reset")
    [notification, *_] = raised_after(stack, queue_url, alarm_name, reset)

    assert notification["OldStateValue"] == "OK"
    assert notification["Trigger"]["MetricName"] == "SagaCompensationFailed"
    assert notification["NewStateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints")
    [alarm] = stack.client("cloudwatch").describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"]
    raised = datetime.strptime(notification["StateChangeTime"], "%Y-%m-%dT%H:%M:%S.%f%z")
    if alarm["StateValue"] != "ALARM":  # an evaluation after the datum left the alarm's period sets it back to OK
        assert alarm["StateUpdatedTimestamp"] > raised, alarm
