"""The redrive path: a saga left in COMPENSATION_FAILED is finished by `python -m saga_client resume` once the
fault is gone, and the command refuses an order that is not COMPENSATION_FAILED."""

import uuid

import pytest

from checkout_saga.models import OrderStatus, PaymentStatus, Product
from saga_client.__main__ import main


def resume_command(stack, order_id: str) -> list[str]:
    return ["resume", order_id, "--endpoint-url", stack.endpoint_url, "--stack-name", "e2e"]


@pytest.mark.e2e
def test_resume_finishes_the_undo_once_the_fault_is_gone(deployed_stack, capsys):
    stack = deployed_stack
    sku = f"RES-{uuid.uuid4().hex[:6]}"
    stack.seed([Product(sku=sku, name="Resumable", unit_price_cents=700, available=5)])
    order_id = f"res-{uuid.uuid4().hex[:10]}"
    stack.set_faults({"ReleaseStock": {"mode": "fail", "rate": 1.0}})
    try:
        document = {
            "orderId": order_id,
            "customerId": "c-1",
            "items": [{"sku": sku, "quantity": 2}],
            "paymentToken": "tok_declined",
        }
        assert stack.wait(stack.start(document, name=order_id))["status"] == "FAILED"
        assert stack.orders.get(order_id).status is OrderStatus.COMPENSATION_FAILED
        assert stack.available(sku) == {sku: 3}  # still held: visible, never lost
    finally:
        stack.set_faults({})

    assert main(resume_command(stack, order_id)) == 0

    assert f"order {order_id} is now CANCELLED" in capsys.readouterr().out
    assert stack.orders.get(order_id).status is OrderStatus.CANCELLED
    assert stack.saga_log.get(order_id).status is OrderStatus.CANCELLED
    assert stack.available(sku) == {sku: 5}
    assert stack.payments.get(order_id).status is PaymentStatus.DECLINED  # never captured, nothing to refund

    # Resumed once is enough: a second resume is refused, as is any order not COMPENSATION_FAILED.
    assert main(resume_command(stack, order_id)) == 2
    assert "only a COMPENSATION_FAILED saga can be resumed" in capsys.readouterr().err
    assert main(resume_command(stack, "no-such-order")) == 2
    assert "no order no-such-order" in capsys.readouterr().err
