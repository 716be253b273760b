"""Every step handler's sample event (events/<handler>.json, the one `sam local invoke -e` takes), invoked
through the deployed function, in the order the saga would run them; then the data they left."""

import json
from pathlib import Path

from checkout_saga.models import OrderStatus, PaymentStatus
from tests.support.stack import Stack

EVENTS = Path(__file__).resolve().parents[2] / "events"
ORDER_ID = "ord-sample-0001"


def invoke(stack: Stack, function_logical_id: str, event_file: str) -> dict:
    name = f"paths-{function_logical_id}"
    response = stack.client("lambda").invoke(FunctionName=name, Payload=(EVENTS / event_file).read_bytes())
    payload = json.loads(response["Payload"].read())
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
