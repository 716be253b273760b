"""A permission missing from template.yaml fails on the local cloud as it would on AWS, and the saga shows it.

A second stack, deployed beside the suite's own, from template.yaml without the statement that lets
RefundPayment fence the order (the defect this project once had): every declined card then ends
COMPENSATION_FAILED at RefundPayment with AccessDenied, and the customer's stock stays taken."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
import requests

from checkout_saga.models import OrderStatus, Product
from checks.check_iam import statements, without
from saga_client.polling import pauses
from tests.e2e.conftest import deploy_beside
from tests.support.stack import Stack

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def stack_without_fence(deployed_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Stack:
    lines = (ROOT / "template.yaml").read_text().splitlines(keepends=True)
    fence = next(s for s in statements(lines) if (s.resource, s.name) == ("RefundPaymentFunction", "FenceOrder"))
    project = tmp_path_factory.mktemp("without-fence")
    (project / "template.yaml").write_text(without(lines, fence))
    for directory in ("functions", "statemachine"):  # what the template's CodeUri and DefinitionUri name
        (project / directory).symlink_to(ROOT / directory)
    return deploy_beside(deployed_stack, project / "template.yaml", "e2e-without-fence")


@pytest.mark.e2e
def test_a_compensation_without_its_permission_fails_with_access_denied(stack_without_fence: Stack) -> None:
    stack = stack_without_fence
    sku = f"IAM-{uuid.uuid4().hex[:6]}"
    stack.seed([Product(sku=sku, name="Denied", unit_price_cents=1000, available=10)])
    order_id = f"iam-{uuid.uuid4().hex[:12]}"
    document = {"orderId": order_id, "customerId": "c-iam", "items": [{"sku": sku, "quantity": 3}]}

    execution = stack.wait(stack.start({**document, "paymentToken": "tok_declined"}, name=order_id), timeout=90)

    assert execution["status"] == "FAILED"
    order = _order(stack, order_id)
    assert order["status"] == "COMPENSATION_FAILED"
    failure = order["saga"]["failure"]
    assert failure["step"] == "RefundPayment"
    assert "AccessDeniedException" in failure["cause"]
    assert "RefundPaymentFunctionRole" in failure["cause"]
    assert "dynamodb:UpdateItem" in failure["cause"]
    assert f":table/{stack.outputs['OrdersTableName']}" in failure["cause"]
    # The undo stopped at its first step: the stock stays taken and the order was never fenced.
    assert stack.available(sku) == {sku: 7}
    stored = stack.orders.get(order_id)
    assert stored is not None
    assert stored.status is OrderStatus.COMPENSATION_FAILED


def _order(stack: Stack, order_id: str, timeout: float = 30) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    waits = pauses(0.05)
    while True:
        response = requests.get(
            f"{stack.outputs['ApiUrl']}/orders/{order_id}", headers=stack.auth(operator=True), timeout=10
        )
        if response.status_code == 200 and response.json()["status"] != "PENDING":
            return dict(response.json())
        assert time.monotonic() < deadline, response.text
        time.sleep(next(waits))
