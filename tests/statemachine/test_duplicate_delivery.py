"""Steps delivered twice (Step Functions may run a Task again; the chaos suite does it on purpose): every step
of a finished saga, invoked again with the exact input its execution gave it, changes nothing at all, and a
compensation racing a forward step still in flight wins cleanly."""

import uuid

import pytest

from checkout_saga.handlers.dependencies import reset_caches
from checkout_saga.models import OrderStatus, Payment, PaymentStatus
from saga_client.histories import scheduled
from saga_client.stored_data import fingerprint
from tests.support.stack import Stack


def finished_saga(stack: Stack, skus: list[str], token: str) -> tuple[str, str]:
    order_id = f"dup-{uuid.uuid4().hex[:12]}"
    document = {
        "orderId": order_id,
        "customerId": "c-42",
        "items": [{"sku": sku, "quantity": 2} for sku in skus],
        "paymentToken": token,
    }
    arn = stack.start(document, name=order_id)
    stack.wait(arn)
    return order_id, arn


@pytest.mark.parametrize(
    ("token", "faults", "final"),
    [
        ("tok_visa", {}, OrderStatus.CONFIRMED),
        ("tok_declined", {}, OrderStatus.CANCELLED),
        ("tok_visa", {"ConfirmOrder": {"mode": "fail", "rate": 1.0}}, OrderStatus.CANCELLED),
        ("tok_visa", {"ReserveStock": {"mode": "fail", "rate": 1.0}}, OrderStatus.CANCELLED),
    ],
)
def test_every_step_of_a_finished_saga_delivered_again_changes_nothing(stack, products, token, faults, final):
    skus = products(2)
    stack.set_faults(faults)
    reset_caches()
    order_id, arn = finished_saga(stack, skus, token)
    stack.set_faults({})
    reset_caches()
    assert stack.orders.get(order_id).status is final
    steps = scheduled(stack.history(arn))
    assert steps

    for step in steps:
        before = fingerprint(stack, order_id, skus)
        stack.client("lambda").invoke(FunctionName=step.resource, Payload=step.input.encode())
        assert fingerprint(stack, order_id, skus) == before, step.state


def test_a_refund_racing_a_charge_still_in_flight_refunds_what_it_captured(stack):
    """ChargePayment delivered twice: the duplicate captures between RefundPayment's read and its write. The
    write is refused (its condition no longer holds); the refund reads again and refunds the capture."""
    payments = stack.payments
    order_id = f"race-{uuid.uuid4().hex[:8]}"
    payments.attempt(order_id)  # the duplicate charge has begun: an attempt, no outcome yet
    read = payments.get
    landed: list[Payment | None] = []

    def read_then_let_the_charge_land(wanted: str):
        seen = read(wanted)
        if not landed:
            landed.append(payments.settle(wanted, PaymentStatus.CAPTURED, 700, None))
        return seen

    payments.get = read_then_let_the_charge_land  # type: ignore[method-assign]

    refunded = payments.refund(order_id)

    assert landed[0].status is PaymentStatus.CAPTURED
    assert (refunded.status, refunded.amount_cents) == (PaymentStatus.REFUNDED, 700)
    assert stack.payments.get(order_id).status is PaymentStatus.REFUNDED


def test_the_undo_fences_a_pending_order_against_a_confirm_still_in_flight(stack, products):
    """ConfirmOrder delivered twice, the duplicate arriving after RefundPayment began the undo: it must not
    confirm an order whose payment and stock are being given back."""
    skus = products(1)
    orders = stack.orders
    order_id, _arn = finished_saga(stack, skus, "tok_visa")
    # Make it PENDING again as it was when the undo began (a test-only rewind), then begin the undo.
    stack._table("OrdersTableName").update_item(
        Key={"orderId": order_id},
        UpdateExpression="SET #status = :pending",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":pending": OrderStatus.PENDING.value},
    )
    assert orders.fence(order_id, "2026-01-01T00:00:01Z").status is OrderStatus.PENDING

    assert orders.confirm(order_id, "2026-01-01T00:00:02Z") is OrderStatus.PENDING
