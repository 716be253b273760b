"""Both coordinations through the API on a real local cloud, the same scenarios, the same final data: the order,
its payment, the stock, the saga's history and failure. Choreographed sagas go through the outbox, its stream, the
event bus, each service's queue and the local cloud's pollers; a lost event is found by the sweeper; an undo that
keeps failing is given up, then resumed. Together they need each grant of the choreography's services (make
check-iam runs this module first for them: docs/security.md)."""

import itertools
import json
import time
import uuid
from typing import Any

import pytest
import requests

from checkout_saga.models import OrderStatus, PaymentStatus, Product
from saga_client.choreography_stack import SERVICE_QUEUES, wait_until_empty
from saga_client.polling import pauses
from tests.e2e.test_saga_e2e import wait_for_order
from tests.support.stack import Stack

COORDINATIONS = ["orchestration", "choreography"]
UNDO = ["RefundPayment", "ReleaseStock", "CancelOrder"]
_skus = itertools.count(1)

# scenario -> (token, fault plan, quantity, status, payment in the table, failed step, history)
FORWARD = ["STARTED", "ORDER_CREATED", "STOCK_RESERVED", "PAYMENT_CHARGED"]
SCENARIOS: dict[str, tuple[str, dict[str, Any], int, str, PaymentStatus | None, str | None, list[str]]] = {
    "happy_path": ("tok_visa", {}, 2, "CONFIRMED", PaymentStatus.CAPTURED, None, [*FORWARD, "CONFIRMED"]),
    "declined_payment": (
        "tok_declined",
        {},
        2,
        "CANCELLED",
        PaymentStatus.DECLINED,
        "ChargePayment",
        [*FORWARD[:3], "PAYMENT_REFUNDED", "STOCK_RELEASED", "CANCELLED"],
    ),
    "out_of_stock": (
        "tok_visa",
        {},
        11,
        "CANCELLED",
        None,
        "ReserveStock",
        [*FORWARD[:2], "STOCK_RELEASED", "CANCELLED"],
    ),
    "confirm_order_fails": (
        "tok_visa",
        {"ConfirmOrder": {"mode": "fail", "rate": 1.0}},
        2,
        "CANCELLED",
        PaymentStatus.REFUNDED,
        "ConfirmOrder",
        [*FORWARD, "PAYMENT_REFUNDED", "STOCK_RELEASED", "CANCELLED"],
    ),
}


def checkout(stack: Stack, sku: str, quantity: int, token: str, coordination: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "items": [{"sku": sku, "quantity": quantity}],
        "paymentToken": token,
        "coordination": coordination,
    }
    response = requests.post(f"{stack.outputs['ApiUrl']}/checkout", json=body, headers=stack.auth(), timeout=10)
    assert response.status_code == 202, response.text
    return dict(response.json())


def check_order(stack: Stack, order: dict[str, Any], sku: str, scenario: str, coordination: str) -> None:
    _token, _plan, quantity, status, payment, failed_step, history = SCENARIOS[scenario]
    assert order["status"] == status
    assert order["saga"]["coordination"] == coordination
    assert [entry["state"] for entry in order["saga"]["history"]] == history
    assert stack.orders.get(order["orderId"]).status is OrderStatus(status)
    stored = stack.payments.get(order["orderId"])
    assert (stored.status if stored else None) is payment
    taken = 0 if status == "CANCELLED" else quantity
    assert stack.available(sku) == {sku: 10 - taken}
    if failed_step is None:
        assert order["saga"]["failure"] is None
    else:
        saga = stack.saga_log.get(order["orderId"])
        assert saga is not None
        assert saga.failure is not None
        assert saga.failure.step == failed_step


@pytest.mark.e2e
@pytest.mark.parametrize("coordination", COORDINATIONS)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_same_checkout_ends_the_same_way(deployed_stack, sku, faults, scenario, coordination):
    token, plan, quantity, *_ = SCENARIOS[scenario]
    if plan:
        faults(plan)

    accepted = checkout(deployed_stack, sku, quantity, token, coordination)

    check_order(deployed_stack, wait_for_order(deployed_stack, accepted["orderId"]), sku, scenario, coordination)
    if coordination == "choreography":  # every event was consumed and deleted: none is left to come back
        wait_until_empty(deployed_stack, SERVICE_QUEUES, timeout=20)


@pytest.mark.e2e
@pytest.mark.parametrize("coordination", COORDINATIONS)
def test_compensations_that_keep_failing_after_their_effect(deployed_stack, sku, faults, coordination):
    """Every attempt of every undo fails after its effect (a lost answer). The state machine never hears of a
    success: after RefundPayment's attempts it marks the saga COMPENSATION_FAILED, stock still reserved (resumable).
    Choreographed, each undo's transition went out with its event: the undo runs to its end, the errors after the
    fact are retried and dropped, and the saga is CANCELLED with everything given back. Both say what is true."""
    faults(
        {"ConfirmOrder": {"mode": "fail", "rate": 1.0}} | {step: {"mode": "transient", "rate": 1.0} for step in UNDO}
    )

    order = wait_for_order(deployed_stack, checkout(deployed_stack, sku, 2, "tok_visa", coordination)["orderId"])

    history = [entry["state"] for entry in order["saga"]["history"]]
    payment = deployed_stack.payments.get(order["orderId"])
    assert payment is not None
    assert payment.status is PaymentStatus.REFUNDED  # each undo applies once
    if coordination == "orchestration":
        assert order["status"] == "COMPENSATION_FAILED"
        assert history == [*FORWARD, "PAYMENT_REFUNDED", "COMPENSATION_FAILED"]
        assert order["saga"]["failure"] == {
            "step": "RefundPayment",
            "error": "TransientStepError",
            "cause": "fault injected in RefundPayment (mode transient), after its effect",
        }
        assert deployed_stack.available(sku) == {sku: 8}
    else:
        assert order["status"] == "CANCELLED"
        assert history == [*FORWARD, "PAYMENT_REFUNDED", "STOCK_RELEASED", "CANCELLED"]
        assert order["saga"]["failure"]["step"] == "ConfirmOrder"
        assert deployed_stack.available(sku) == {sku: 10}
        # Each undo's first attempt came back after the retry interval (the service sets its message's visibility;
        # the queue's own visibility timeout is 60 s), its second was dropped: every message deleted.
        wait_until_empty(deployed_stack, SERVICE_QUEUES, timeout=20)
    assert deployed_stack.orders.get(order["orderId"]).status is OrderStatus(order["status"])


@pytest.mark.e2e
@pytest.mark.parametrize("coordination", COORDINATIONS)
def test_compensations_that_fail_transiently_still_end_consistently(deployed_stack, faults, coordination):
    """Half of the undo's attempts fail after their effect: each saga ends CANCELLED with everything given back,
    or, when one undo ran out of attempts, COMPENSATION_FAILED with the undo that failed named; never in between."""
    faults(
        {"ConfirmOrder": {"mode": "fail", "rate": 1.0}} | {step: {"mode": "transient", "rate": 0.5} for step in UNDO}
    )
    skus = [f"COORD-{next(_skus):04d}-{uuid.uuid4().hex[:6]}" for _ in range(4)]
    deployed_stack.seed([Product(sku=s, name=s, unit_price_cents=1250, available=10) for s in skus])

    orders = [checkout(deployed_stack, s, 3, "tok_visa", coordination)["orderId"] for s in skus]

    for order_id, s in zip(orders, skus, strict=True):
        order = wait_for_order(deployed_stack, order_id)
        payment = deployed_stack.payments.get(order_id)
        assert payment is not None
        assert payment.status is PaymentStatus.REFUNDED  # the first undo always applies
        if order["status"] == "CANCELLED":
            assert deployed_stack.available(s) == {s: 10}
            assert order["saga"]["failure"]["step"] == "ConfirmOrder"
            assert [e["state"] for e in order["saga"]["history"]][-3:] == [
                "PAYMENT_REFUNDED",
                "STOCK_RELEASED",
                "CANCELLED",
            ]
        else:
            assert order["status"] == "COMPENSATION_FAILED"
            assert order["saga"]["failure"]["step"] in UNDO
            assert order["saga"]["failure"]["error"] == "TransientStepError"


@pytest.mark.e2e
@pytest.mark.parametrize("coordination", COORDINATIONS)
def test_an_undo_that_keeps_failing_is_given_up_then_resumed(deployed_stack, sku, faults, coordination):
    """ConfirmOrder fails, then ReleaseStock fails before its effect at every attempt: the payment is refunded,
    the stock stays reserved, and MarkCompensationFailed, having found the order neither confirmed nor cancelled,
    marks the saga COMPENSATION_FAILED. Once the fault is gone, an operator's resume finishes the undo: CANCELLED,
    the stock given back, the refund applied once."""
    stack = deployed_stack
    faults({"ConfirmOrder": {"mode": "fail", "rate": 1.0}, "ReleaseStock": {"mode": "fail", "rate": 1.0}})

    order = wait_for_order(stack, checkout(stack, sku, 2, "tok_visa", coordination)["orderId"])

    order_id = order["orderId"]
    assert order["status"] == "COMPENSATION_FAILED"
    assert [e["state"] for e in order["saga"]["history"]] == [*FORWARD, "PAYMENT_REFUNDED", "COMPENSATION_FAILED"]
    assert (order["saga"]["failure"]["step"], order["saga"]["failure"]["error"]) == ("ReleaseStock", "InjectedFailure")
    assert stack.orders.get(order_id).status is OrderStatus.COMPENSATION_FAILED
    assert stack.available(sku) == {sku: 8}  # still held: visible, never lost
    faults({})

    resumed = requests.post(
        f"{stack.outputs['ApiUrl']}/sagas/{order_id}/resume", headers=stack.auth("ops", operator=True), timeout=10
    )

    assert resumed.status_code == 202, resumed.text
    wait_for_state(stack, order_id, "CANCELLED")
    assert stack.orders.get(order_id).status is OrderStatus.CANCELLED
    assert stack.available(sku) == {sku: 10}
    payment = stack.payments.get(order_id)
    assert payment is not None
    assert payment.status is PaymentStatus.REFUNDED


@pytest.mark.e2e
def test_a_lost_event_is_found_by_the_sweeper(deployed_stack, sku):
    """The inventory service's OrderCreated is lost: the saga stops advancing; the sweeper, invoked at once with a
    bound of 1 s, compensates it, and nothing was taken (tests/e2e/test_saga_timer_e2e.py: the saga's own timer)."""
    order_id = checkout_losing_order_created(deployed_stack, sku)
    time.sleep(1.2)

    swept = sweep(deployed_stack, stalled_after_seconds=1)

    assert order_id in swept
    order = wait_for_order(deployed_stack, order_id)
    assert order["status"] == "CANCELLED"
    assert order["saga"]["failure"]["step"] == "ReserveStock"
    assert order["saga"]["failure"]["error"] == "SagaStalled"
    assert [e["state"] for e in order["saga"]["history"]] == [
        "STARTED",
        "ORDER_CREATED",
        "PAYMENT_REFUNDED",
        "STOCK_RELEASED",
        "CANCELLED",
    ]
    assert deployed_stack.available(sku) == {sku: 10}
    payment = deployed_stack.payments.get(order_id)
    assert payment is not None
    assert payment.status is PaymentStatus.VOIDED  # no charge can happen any more
    assert order_id not in sweep(deployed_stack, stalled_after_seconds=1)  # ended: never swept again


def checkout_losing_order_created(stack: Stack, sku: str) -> str:
    """A choreographed checkout of 2 units whose OrderCreated the inventory service never gets (taken off its queue
    while its poller is stopped): the saga stops at ORDER_CREATED. Returns the order id once the event is lost."""
    lam, sqs = stack.client("lambda"), stack.client("sqs")
    queue_arn = sqs.get_queue_attributes(
        QueueUrl=stack.outputs["InventoryEventsQueueUrl"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    mapping = lam.list_event_source_mappings(EventSourceArn=queue_arn)["EventSourceMappings"][0]["UUID"]
    lam.update_event_source_mapping(UUID=mapping, Enabled=False)
    time.sleep(1.5)  # the pollers' long polls in progress end
    try:
        order_id = str(checkout(stack, sku, 2, "tok_visa", "choreography")["orderId"])
        wait_for_state(stack, order_id, "ORDER_CREATED")
        lose(sqs, stack.outputs["InventoryEventsQueueUrl"], order_id, "OrderCreated")
    finally:
        lam.update_event_source_mapping(UUID=mapping, Enabled=True)
    return order_id


def wait_for_state(stack: Stack, order_id: str, state: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    waits = pauses(0.05)
    while time.monotonic() < deadline:
        saga = stack.saga_log.get(order_id)
        if saga is not None and state in [t.state.value for t in saga.history]:
            return
        time.sleep(next(waits))
    raise TimeoutError(f"{order_id} never reached {state}")


def lose(sqs: Any, url: str, saga_id: str, name: str, timeout: float = 30) -> None:
    """Take the saga's event off the queue (it went through the stream, the publisher and the bus) and drop it;
    other sagas' messages are left as they were."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            detail = json.loads(message["Body"])["detail"]
            if (detail["sagaId"], detail["name"]) == (saga_id, name):
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                return
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    raise TimeoutError(f"{name} of {saga_id} never arrived in {url}")


def sweep(stack: Stack, stalled_after_seconds: int) -> list[str]:
    """What the schedule does every minute, at once and with a shorter bound."""
    answer = stack.client("lambda").invoke(
        FunctionName=stack.outputs["SweepStalledSagasFunctionName"],
        Payload=json.dumps({"stalledAfterSeconds": stalled_after_seconds}).encode(),
    )
    assert "FunctionError" not in answer, answer["Payload"].read()
    return list(json.loads(answer["Payload"].read())["swept"])
