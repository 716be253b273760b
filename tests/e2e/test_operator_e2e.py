"""Operator actions end to end, through the deployed API on the local cloud: a running saga compensated by
force, and the refusals once a saga is past its pivot or not stuck."""

from __future__ import annotations

import uuid

import pytest

from checkout_saga.models import OrderStatus, PaymentStatus
from saga_client.choreography_stack import SERVICE_QUEUES, wait_until_empty
from tests.e2e.test_api_e2e import Api, api, checkout, product  # noqa: F401  (fixtures)
from tests.e2e.test_coordinations_e2e import wait_for_state
from tests.support.stack import Stack

pytestmark = [pytest.mark.e2e]


# How each coordination's saga is held before its pivot on the stack with AWS's retry delays (2 s, then 4 s):
# - orchestration: ChargePayment loses its answer at every attempt (a transient fault after its effect), so the
#   payment is captured and the saga waits out its retries; it cannot reach ConfirmOrder. Its saga log's last state
#   is PAYMENT_CHARGED: the forced undo names the step after it, and refunds the payment.
# - choreography: a transition and its event are written together, so a fault after the effect would not hold
#   it; tok_flaky fails before any effect twice: the saga waits for ChargePayment's retries, nothing charged.
HOLDS = {
    "orchestration": ("tok_visa", {"ChargePayment": {"mode": "transient", "rate": 1.0}}, "ConfirmOrder", "REFUNDED"),
    "choreography": ("tok_flaky", {}, "ChargePayment", "NONE"),
}
STORED_PAYMENT = {"REFUNDED": PaymentStatus.REFUNDED, "NONE": PaymentStatus.VOIDED}  # as the API shows it


@pytest.mark.parametrize("coordination", HOLDS)
def test_a_running_saga_is_compensated_by_force_through_the_api(slow_retry_stack: Stack, coordination: str) -> None:
    """Forced while it waits in ChargePayment's retries, the undo releases the stock, gives back any money taken
    and cancels the order; a choreographed saga has no execution to stop: the fence and the undo's own checks
    make its ChargePayment retries, still due, change nothing."""
    token, plan, failed_step, payment = HOLDS[coordination]
    stack = slow_retry_stack
    operator = Api(stack.outputs["ApiUrl"], stack.auth("operator-e2e", operator=True))
    sku = f"OPS-{uuid.uuid4().hex[:8]}"
    assert operator("PUT", f"/products/{sku}", json={"name": "Held", "unitPriceCents": 1250, "available": 10}).ok
    stack.set_faults(plan)  # the steps read it at every call: it holds at once
    try:
        document = {**checkout(sku, token=token), "coordination": coordination}
        order_id = operator("POST", "/checkout", json=document).json()["orderId"]
        # Held: ChargePayment has begun (the stock is reserved; with the fault, the payment captured).
        wait_for_state(stack, order_id, "PAYMENT_CHARGED" if plan else "STOCK_RESERVED")

        response = operator("POST", f"/sagas/{order_id}/compensate", json={"reason": "customer called"})

        assert response.status_code == 202, response.text  # still running, before its pivot
        operator.wait(order_id)
        wait_until_empty(stack, SERVICE_QUEUES, timeout=60)  # a choreographed ChargePayment retry still due has run
    finally:
        stack.set_faults({})

    order = operator("GET", f"/orders/{order_id}").json()
    assert order["status"] == "CANCELLED"
    assert order["saga"]["coordination"] == coordination
    assert order["saga"]["failure"] == {"step": failed_step, "error": "ForcedCompensation", "cause": "customer called"}
    assert "CONFIRMED" not in [entry["state"] for entry in order["saga"]["history"]]
    assert order["payment"]["status"] == payment  # refunded, or never captured
    assert stack.payments.get(order_id).status is STORED_PAYMENT[payment]
    assert stack.orders.get(order_id).status is OrderStatus.CANCELLED
    assert stack.available(sku) == {sku: 10}
    assert operator("GET", f"/products/{sku}").json()["available"] == 10
    assert operator("POST", f"/sagas/{order_id}/compensate").status_code == 409  # ended


def test_a_confirmed_saga_is_neither_compensated_nor_resumed(api: Api, product: str) -> None:  # noqa: F811
    order_id = api("POST", "/checkout", json=checkout(product)).json()["orderId"]
    assert api.wait(order_id)["status"] == "CONFIRMED"

    compensate = api("POST", f"/sagas/{order_id}/compensate")
    resume = api("POST", f"/sagas/{order_id}/resume")

    assert (compensate.status_code, resume.status_code) == (409, 409)
    assert "pivot" in compensate.json()["message"]
    assert api("GET", f"/orders/{order_id}").json()["status"] == "CONFIRMED"
    assert api("GET", f"/products/{product}").json()["available"] == 8
