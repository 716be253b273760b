"""A saga left in COMPENSATION_FAILED is finished by the resume command once the fault is gone."""

import time
import uuid

import pytest

from checkout_saga.models import OrderStatus, PaymentStatus, Product
from saga_client.resume import NotResumable, resume_compensation


@pytest.mark.e2e
def test_resume_finishes_the_undo(deployed_stack):
    sku = f"RES-{uuid.uuid4().hex[:6]}"
    deployed_stack.seed([Product(sku=sku, name="Resumable", unit_price_cents=700, available=5)])
    deployed_stack.set_faults({"ReleaseStock": {"mode": "fail", "rate": 1.0}})
    time.sleep(2.1)
    order_id = f"res-{uuid.uuid4().hex[:10]}"
    try:
        deployed_stack.wait(
            deployed_stack.start(
                {
                    "orderId": order_id,
                    "customerId": "c-1",
                    "items": [{"sku": sku, "quantity": 2}],
                    "paymentToken": "tok_declined",
                },
                name=order_id,
            )
        )
        assert deployed_stack.orders.get(order_id).status is OrderStatus.COMPENSATION_FAILED
        assert deployed_stack.available(sku) == {sku: 3}
    finally:
        deployed_stack.set_faults({})
        time.sleep(2.1)
    sfn = deployed_stack.client("stepfunctions")
    arn = deployed_stack.outputs["CheckoutStateMachineArn"]

    assert resume_compensation(sfn, arn, "COMPENSATION_FAILED", order_id) == "FAILED"  # ends in CheckoutCancelled

    assert deployed_stack.orders.get(order_id).status is OrderStatus.CANCELLED
    assert deployed_stack.saga_log.get(order_id).status is OrderStatus.CANCELLED
    assert deployed_stack.available(sku) == {sku: 5}
    assert deployed_stack.payments.get(order_id).status is PaymentStatus.DECLINED
    with pytest.raises(NotResumable):
        resume_compensation(sfn, arn, "CANCELLED", order_id)
