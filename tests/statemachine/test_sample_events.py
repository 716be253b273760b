"""Every step handler's sample event (events/<handler>.json, the one `sam local invoke -e` takes), invoked
through the deployed function, in the order the saga would run them; then the data they left."""

import json
from pathlib import Path
from typing import Any

from checkout_saga.clock import utc_now_iso
from checkout_saga.models import Order, OrderStatus, PaymentStatus, PricedItem, ReturnStatus
from tests.support.stack import Stack

EVENTS = Path(__file__).resolve().parents[2] / "events"
ORDER_ID = "ord-sample-0001"


def invoke(stack: Stack, function_logical_id: str, event_file: str) -> dict[str, Any]:
    name = f"paths-{function_logical_id}"
    response = stack.client("lambda").invoke(FunctionName=name, Payload=(EVENTS / event_file).read_bytes())
    payload: dict[str, Any] = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, payload
    return payload


def test_each_sample_event_runs_its_handler(stack):
    stack.seed()
    before = stack.available("KB-001", "MS-001")

    created = invoke(stack, "CreateOrderFunction", "create_order.json")
    assert created["totalCents"] == 2 * 4999 + 2599
    for function, event in [
        ("ReserveStockFunction", "reserve_stock.json"),
        ("ChargePaymentFunction", "charge_payment.json"),
    ]:
        assert invoke(stack, function, event)["orderId"] == ORDER_ID
    assert stack.available("KB-001", "MS-001") == {"KB-001": before["KB-001"] - 2, "MS-001": before["MS-001"] - 1}
    assert stack.payments.get(ORDER_ID).status is PaymentStatus.CAPTURED

    # The events tell this story: ConfirmOrder failed before its effect; RefundPayment ran; ReleaseStock kept
    # failing, so the saga was marked COMPENSATION_FAILED; then it was resumed and the undo finished.
    invoke(stack, "RefundPaymentFunction", "refund_payment.json")
    invoke(stack, "MarkCompensationFailedFunction", "mark_compensation_failed.json")
    assert stack.orders.get(ORDER_ID).status is OrderStatus.COMPENSATION_FAILED
    assert stack.saga_log.get(ORDER_ID).compensation_failure.step == "ReleaseStock"
    for function, event in [
        ("ReleaseStockFunction", "release_stock.json"),
        ("CancelOrderFunction", "cancel_order.json"),
    ]:
        invoke(stack, function, event)
    assert stack.available("KB-001", "MS-001") == before
    assert stack.payments.get(ORDER_ID).status is PaymentStatus.REFUNDED
    saga = stack.saga_log.get(ORDER_ID)
    assert (saga.status, saga.failure.step) == (OrderStatus.CANCELLED, "ConfirmOrder")

    # ConfirmOrder's event, delivered late, is refused and changes nothing.
    response = stack.client("lambda").invoke(
        FunctionName="paths-ConfirmOrderFunction", Payload=(EVENTS / "confirm_order.json").read_bytes()
    )
    assert json.loads(response["Payload"].read())["errorType"] == "SagaAlreadyCompensated"
    assert stack.orders.get(ORDER_ID).status is OrderStatus.CANCELLED


def test_a_malformed_payload_is_a_clear_error_and_writes_nothing(stack):
    response = stack.client("lambda").invoke(
        FunctionName="paths-ReserveStockFunction",
        Payload=json.dumps({"orderId": "bad-1", "items": [{"sku": "KB-001"}]}),
    )
    error = json.loads(response["Payload"].read())

    assert "FunctionError" in response
    assert error["errorType"] == "ValidationError"
    assert "items.0.quantity" in error["errorMessage"]
    assert stack.inventory.get_reservation("bad-1") is None
    assert stack.saga_log.get("bad-1") is None


RETURN_ID = "ret-sample-0001"
RETURNED_ORDER_ID = "ord-sample-0002"


def test_each_return_sample_event_runs_its_handler(stack):
    """The return events tell this story about a CONFIRMED order of two keyboards: one comes back;
    CompleteReturn failed before its effect, VoidReturnRefund kept failing, so the return was marked
    COMPENSATION_FAILED; then its resume finished the undo. Each step's data is checked on the way."""
    stack.seed()
    now = utc_now_iso()
    items = [PricedItem(sku="KB-001", quantity=2, unit_price_cents=4999)]
    order = Order(
        order_id=RETURNED_ORDER_ID,
        customer_id="c-42",
        status=OrderStatus.CONFIRMED,
        items=items,
        total_cents=9998,
        created_at=now,
        updated_at=now,
    )
    stack.orders.create(order)
    stack.payments.settle(RETURNED_ORDER_ID, PaymentStatus.CAPTURED, 9998, None)
    before = stack.available("KB-001")["KB-001"]

    validated = invoke(stack, "ValidateReturnFunction", "validate_return.json")
    assert (validated["returnId"], validated["refundCents"]) == (RETURN_ID, 4999)
    invoke(stack, "RefundReturnFunction", "refund_return.json")
    invoke(stack, "RestockReturnFunction", "restock_return.json")
    assert stack.available("KB-001")["KB-001"] == before + 1
    assert RETURN_ID in stack.payments.get(RETURNED_ORDER_ID).refunded_returns

    invoke(stack, "UnstockReturnFunction", "unstock_return.json")
    invoke(stack, "MarkReturnCompensationFailedFunction", "mark_return_compensation_failed.json")
    assert stack.returns.get(RETURN_ID).status is ReturnStatus.COMPENSATION_FAILED
    for function, event in [
        ("VoidReturnRefundFunction", "void_return_refund.json"),
        ("CancelReturnFunction", "cancel_return.json"),
    ]:
        invoke(stack, function, event)
    assert stack.available("KB-001")["KB-001"] == before
    assert RETURN_ID in stack.payments.get(RETURNED_ORDER_ID).voided_returns
    assert stack.orders.get(RETURNED_ORDER_ID).returned_units == {"KB-001": 0}
    assert stack.payments.get(RETURNED_ORDER_ID).refunded_cents == 0
    saga = stack.return_saga_log.get(RETURN_ID)
    assert (saga.status, saga.failure.step) == (ReturnStatus.CANCELLED, "CompleteReturn")

    # CompleteReturn's event, delivered late, is refused and changes nothing.
    response = stack.client("lambda").invoke(
        FunctionName="paths-CompleteReturnFunction", Payload=(EVENTS / "complete_return.json").read_bytes()
    )
    assert json.loads(response["Payload"].read())["errorType"] == "SagaAlreadyCompensated"
    assert stack.returns.get(RETURN_ID).status is ReturnStatus.CANCELLED


CHOREOGRAPHED_ORDER_ID = "ord-sample-0003"


def test_the_choreographed_services_sample_events_run_their_steps(stack):
    """orders_service.json, inventory_service.json and payments_service.json carry one checkout's first three
    events, as SQS hands them to each service: CreateOrder, ReserveStock and ChargePayment run, each writing its
    effect with the event that announces it (delivered again later, they change nothing)."""
    stack.seed()
    before = stack.available("KB-001")["KB-001"]

    for function, event in [
        ("OrdersServiceFunction", "orders_service.json"),
        ("InventoryServiceFunction", "inventory_service.json"),
        ("PaymentsServiceFunction", "payments_service.json"),
    ]:
        assert invoke(stack, function, event) == {"batchItemFailures": []}, function

    assert stack.orders.get(CHOREOGRAPHED_ORDER_ID).total_cents == 4999
    assert stack.inventory.get_reservation(CHOREOGRAPHED_ORDER_ID).items[0].quantity == 1
    assert stack.available("KB-001")["KB-001"] == before - 1
    assert stack.payments.get(CHOREOGRAPHED_ORDER_ID).status is PaymentStatus.CAPTURED
    reached = [transition.state.value for transition in stack.saga_log.get(CHOREOGRAPHED_ORDER_ID).history]
    assert reached[:4] == ["STARTED", "ORDER_CREATED", "STOCK_RESERVED", "PAYMENT_CHARGED"]


def test_the_publisher_timer_and_sweepers_sample_events_run_their_handlers(stack):
    assert invoke(stack, "PublishSagaEventsFunction", "publish_saga_events.json") == {"published": 1}
    # The timer of a saga that moved just now is sent again; nothing is swept.
    assert invoke(stack, "StalledSagaTimerFunction", "stalled_saga_timer.json") == {"batchItemFailures": []}
    assert CHOREOGRAPHED_ORDER_ID not in invoke(stack, "SweepStalledSagasFunction", "sweep_stalled_sagas.json")["swept"]
    assert CHOREOGRAPHED_ORDER_ID not in invoke(stack, "SweepStaleSagasFunction", "sweep_stale_sagas.json")["stale"]
    saga = stack.saga_log.get(CHOREOGRAPHED_ORDER_ID)
    assert saga is None or saga.failure is None


def test_a_forged_payment_charged_confirms_nothing(stack):
    """An event on the bus that claims a charge nobody made: ConfirmOrder finds no captured payment, confirms
    nothing, and emits its failure, which starts the undo (here the events are not delivered further: the
    end-to-end tests run whole choreographed sagas)."""
    stack.seed()
    before = stack.available("KB-001")["KB-001"]
    order_id = "ord-forged-0001"
    requested = _renamed(json.loads((EVENTS / "orders_service.json").read_text()), order_id, "CheckoutRequested")
    assert invoke_event(stack, "OrdersServiceFunction", requested) == {"batchItemFailures": []}
    reserved = _renamed(json.loads((EVENTS / "inventory_service.json").read_text()), order_id, "OrderCreated")
    assert invoke_event(stack, "InventoryServiceFunction", reserved) == {"batchItemFailures": []}

    forged = _renamed(json.loads((EVENTS / "orders_service.json").read_text()), order_id, "PaymentCharged")
    invoke_event(stack, "OrdersServiceFunction", forged)

    assert stack.orders.get(order_id).status is not OrderStatus.CONFIRMED
    assert stack.payments.get(order_id) is None
    assert "CONFIRMED" not in [t.state.value for t in stack.saga_log.get(order_id).history]
    outbox = stack.client("dynamodb").scan(TableName=stack.outputs["OutboxTableName"])["Items"]
    failed = {item["eventId"]["S"]: json.loads(item["detail"]["S"]) for item in outbox}.get(
        f"{order_id}#ConfirmOrderFailed#0"
    )
    assert failed is not None, "the failure goes out: the undo starts at RefundPayment"
    assert failed["context"]["failure"]["Error"] == "PaymentNotCaptured"
    assert stack.available("KB-001")["KB-001"] == before - 1  # reserved until the undo's events are delivered


def invoke_event(stack: Stack, function_logical_id: str, event: dict[str, Any]) -> dict[str, Any]:
    response = stack.client("lambda").invoke(FunctionName=f"paths-{function_logical_id}", Payload=json.dumps(event))
    payload: dict[str, Any] = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, payload
    return payload


def _renamed(sqs_event: dict[str, Any], saga_id: str, name: str) -> dict[str, Any]:
    """A sample SQS event whose one message carries event `name` of saga `saga_id`."""
    [record] = sqs_event["Records"]
    body = json.loads(record["body"])
    context = {**body["detail"]["context"], "orderId": saga_id}
    body.update(
        {"detail-type": name, "detail": {**body["detail"], "sagaId": saga_id, "name": name, "context": context}}
    )
    return {"Records": [{**record, "body": json.dumps(body)}]}
