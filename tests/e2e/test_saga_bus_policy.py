"""The choreography's bus takes events from the outbox publisher only (its resource policy), and a forged
`PaymentCharged` that reaches the orders service all the same confirms nothing: ConfirmOrder confirms only an
order whose payment is captured."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from checkout_saga.models import OrderStatus, PaymentStatus
from checkout_saga.saga_events import SOURCE
from saga_client.choreography_stack import wait_until_empty
from saga_client.polling import pauses
from tests.e2e.test_coordinations_e2e import checkout, wait_for_state
from tests.e2e.test_saga_e2e import wait_for_order
from tests.support.stack import Stack


def _bus_arn(stack: Stack) -> str:
    return str(stack.client("events").describe_event_bus(Name=stack.outputs["SagaEventBusName"])["Arn"])


@pytest.mark.e2e
def test_another_principal_may_not_put_events_on_the_saga_bus(deployed_stack: Stack) -> None:
    stack = deployed_stack
    iam = stack.client("iam")
    name = f"forger-{uuid.uuid4().hex[:8]}"
    account = _bus_arn(stack).split(":")[4]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}
        ],
    }
    role_arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    grant = {"Effect": "Allow", "Action": "events:PutEvents", "Resource": _bus_arn(stack)}
    iam.put_role_policy(
        RoleName=name, PolicyName="put", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [grant]})
    )
    assumed = stack.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="forger")["Credentials"]
    events = boto3.client(
        "events",
        endpoint_url=stack.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=assumed["AccessKeyId"],
        aws_secret_access_key=assumed["SecretAccessKey"],
        aws_session_token=assumed["SessionToken"],
    )
    entry = {"Source": SOURCE, "DetailType": "PaymentCharged", "Detail": "{}", "EventBusName": _bus_arn(stack)}

    with pytest.raises(ClientError) as refused:
        events.put_events(Entries=[entry])

    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert stack.outputs["SagaEventBusName"] in refused.value.response["Error"]["Message"]


@pytest.mark.e2e
def test_a_forged_payment_charged_confirms_nothing(deployed_stack: Stack, sku: str) -> None:
    """The payments service is held back, so the saga waits at STOCK_RESERVED with no payment; a PaymentCharged
    put on the bus (by the administrator, whom the bus's policy cannot stop locally) reaches ConfirmOrder, which
    confirms nothing. Released, the payments service declines the card and the saga ends cancelled."""
    stack = deployed_stack
    lam, sqs = stack.client("lambda"), stack.client("sqs")
    queue_arn = sqs.get_queue_attributes(QueueUrl=stack.outputs["PaymentsEventsQueueUrl"], AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    mapping = lam.list_event_source_mappings(EventSourceArn=queue_arn)["EventSourceMappings"][0]["UUID"]
    lam.update_event_source_mapping(UUID=mapping, Enabled=False)
    try:
        order_id = str(checkout(stack, sku, 2, "tok_declined", "choreography")["orderId"])
        wait_for_state(stack, order_id, "STOCK_RESERVED")
        stack.client("events").put_events(
            Entries=[
                {
                    "Source": SOURCE,
                    "DetailType": "PaymentCharged",
                    "Detail": json.dumps(_detail_of(stack, order_id, "StockReserved")),
                    "EventBusName": stack.outputs["SagaEventBusName"],
                }
            ]
        )
        wait_until_empty(stack, ["OrdersEventsQueueUrl"])
        assert stack.orders.get(order_id).status is not OrderStatus.CONFIRMED
        assert stack.payments.get(order_id) is None or stack.payments.get(order_id).status is not PaymentStatus.CAPTURED
        assert "CONFIRMED" not in [t.state.value for t in stack.saga_log.get(order_id).history]
    finally:
        lam.update_event_source_mapping(UUID=mapping, Enabled=True)

    order = wait_for_order(stack, order_id)
    assert order["status"] == "CANCELLED"
    assert stack.payments.get(order_id).status is PaymentStatus.DECLINED
    assert stack.available(sku) == {sku: 10}


def _detail_of(stack: Stack, order_id: str, name: str, timeout: float = 10) -> Any:
    """The detail of the saga's event ``name`` as its service wrote it to the outbox."""
    table = boto3.resource(
        "dynamodb",
        endpoint_url=stack.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).Table(stack.outputs["OutboxTableName"])
    deadline = time.monotonic() + timeout
    waits = pauses(0.05)
    while time.monotonic() < deadline:
        for item in table.scan()["Items"]:
            if str(item["eventId"]).startswith(f"{order_id}#{name}#"):
                return json.loads(str(item["detail"]))
        time.sleep(next(waits))
    raise TimeoutError(f"no {name} of {order_id} in the outbox")
