"""Payment tokens sealed with the stack's KMS key, as the API starts every saga: ChargePayment opens them, nothing
else sees them, and a token sealed for another order does not open (nothing is charged, the saga compensates)."""

import base64
import json
import uuid
from typing import Any

from checkout_saga.models import OrderStatus, PaymentStatus
from tests.statemachine.test_saga_paths import FORWARD, run
from tests.support.stack import Stack


def sealed(stack: Stack, order_id: str, token: str) -> str:
    blob = stack.client("kms").encrypt(
        KeyId=stack.outputs["PaymentTokenKeyArn"], Plaintext=token.encode(), EncryptionContext={"orderId": order_id}
    )["CiphertextBlob"]
    return base64.b64encode(blob).decode()


def document(skus: list[str], order_id: str, sealed_token: str) -> dict[str, Any]:
    items = [{"sku": sku, "quantity": 1} for sku in skus]
    return {"orderId": order_id, "customerId": "c-42", "items": items, "sealedPaymentToken": sealed_token}


def test_a_sealed_token_is_charged_and_appears_nowhere_in_the_history(stack, products):
    skus = products(1)
    order_id = f"o-{uuid.uuid4().hex[:12]}"

    execution, states = run(stack, document(skus, order_id, sealed(stack, order_id, "tok_flaky")))

    assert execution["status"] == "SUCCEEDED"
    assert states == FORWARD
    assert stack.payments.get(order_id).status is PaymentStatus.CAPTURED  # opened each of its three attempts
    history = json.dumps(stack.history(execution["executionArn"]), default=str)
    assert "tok_flaky" not in history


def test_a_token_sealed_for_another_order_charges_nothing(stack, products):
    skus = products(1)
    order_id = f"o-{uuid.uuid4().hex[:12]}"

    execution, states = run(stack, document(skus, order_id, sealed(stack, "someone-elses-order", "tok_visa")))

    assert execution["status"] == "FAILED"
    assert "ConfirmOrder" not in states
    order = stack.orders.get(order_id)
    assert order.status is OrderStatus.CANCELLED
    assert stack.saga_log.get(order_id).failure.error == "SealedTokenUnreadable"
    assert stack.available(*skus) == {skus[0]: 10}
    payment = stack.payments.get(order_id)
    assert payment is None or payment.status is not PaymentStatus.CAPTURED
