"""POST /orders/{orderId}/returns and GET /returns/{returnId}; the order view's returns and refunds."""

from __future__ import annotations

import json
from typing import Any

import pytest

from checkout_saga.models import OrderStatus, PaymentStatus, ReturnStatus, SagaState
from tests.api.conftest import Call, Cloud
from tests.api.test_checkout import fail_once_after_the_start
from tests.api.test_orders import CONFIRMED_PATH, arrange


def return_body(**overrides: Any) -> dict[str, Any]:
    return {"items": [{"sku": "KB-001", "quantity": 1}], "reason": "arrived damaged", **overrides}


@pytest.fixture
def confirmed(cloud: Cloud) -> str:
    """A CONFIRMED order of 2 x KB-001 at 49.99, paid."""
    arrange(cloud, "ord-r1", OrderStatus.CONFIRMED, CONFIRMED_PATH)
    cloud.stack.payments.settle("ord-r1", PaymentStatus.CAPTURED, 9998, None)
    return "ord-r1"


def assert_no_return_stored(cloud: Cloud) -> None:
    assert cloud.items("ReturnsTable") == []
    assert cloud.items("ReturnSagaLogTable") == []
    assert cloud.executions(cloud.return_state_machine_arn) == []


def test_a_return_is_accepted_stored_and_its_saga_started(call: Call, cloud: Cloud, confirmed: str) -> None:
    response = call("POST", f"/orders/{confirmed}/returns", body=return_body())

    assert response.status == 202
    assert set(response.body) == {"returnId", "orderId", "status", "executionArn"}
    return_id = response.body["returnId"]
    assert (response.body["orderId"], response.body["status"]) == (confirmed, "PENDING")
    [execution] = cloud.executions(cloud.return_state_machine_arn)
    assert (execution["name"], execution["executionArn"]) == (return_id, response.body["executionArn"])
    assert json.loads(execution["input"]) == {
        "returnId": return_id,
        "orderId": confirmed,
        "items": [{"sku": "KB-001", "quantity": 1}],
        "reason": "arrived damaged",
    }
    assert cloud.executions() == []  # no checkout started
    record = cloud.stack.returns.get(return_id)
    assert (record.status, record.order_id, record.refund_cents) == (ReturnStatus.PENDING, confirmed, 0)
    assert [entry.state for entry in cloud.stack.return_saga_log.get(return_id).history] == [SagaState.STARTED]

    shown = call("GET", f"/returns/{return_id}")
    assert shown.status == 200
    assert shown.body == {
        "returnId": return_id,
        "orderId": confirmed,
        "status": "PENDING",
        "items": [{"sku": "KB-001", "quantity": 1, "unitPriceCents": None}],
        "refundCents": 0,
        "reason": "arrived damaged",
        "saga": {
            "state": "STARTED",
            "history": shown.body["saga"]["history"],
            "failure": None,
            "coordination": "orchestration",
        },
    }


def test_an_unknown_order_is_a_404_and_nothing_is_stored(call: Call, cloud: Cloud) -> None:
    response = call("POST", "/orders/no-such-order/returns", body=return_body())

    assert (response.status, response.body) == (404, {"message": "no order no-such-order"})
    assert_no_return_stored(cloud)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"items": []}, ["items"]),
        ({"items": [{"sku": "KB-001", "quantity": 0}]}, ["items[0].quantity"]),
        ({"items": [{"sku": "KB-001", "quantity": "1"}]}, ["items[0].quantity"]),
        ({"items": [{"sku": "KB 001", "quantity": 1}]}, ["items[0].sku"]),
        ({"items": [{"sku": "KB-001", "quantity": 1}, {"sku": "KB-001", "quantity": 1}]}, ["items"]),
        ({"reason": "x"}, ["items"]),
        (return_body(reason="x" * 501), ["reason"]),
        (return_body(refundCents=1), ["refundCents"]),
    ],
    ids=["no items", "zero units", "units as text", "bad sku", "repeated sku", "missing items", "long", "unknown"],
)
def test_a_bad_body_is_a_400_naming_the_field_and_nothing_is_stored(
    call: Call, cloud: Cloud, confirmed: str, body: dict[str, Any], fields: list[str]
) -> None:
    response = call("POST", f"/orders/{confirmed}/returns", body=body)

    assert response.status == 400, response.body
    assert [error["field"] for error in response.body["errors"]] == fields
    assert_no_return_stored(cloud)


def test_the_same_key_and_body_give_the_same_return_and_one_saga(call: Call, cloud: Cloud, confirmed: str) -> None:
    headers = {"Idempotency-Key": "return-1"}
    first = call("POST", f"/orders/{confirmed}/returns", body=return_body(), headers=headers)
    again = call("POST", f"/orders/{confirmed}/returns", body=return_body(), headers=headers)
    other = call("POST", f"/orders/{confirmed}/returns", body=return_body(reason="changed my mind"), headers=headers)

    assert (first.status, again.status, other.status) == (202, 202, 409)
    assert again.body == first.body
    assert len(cloud.executions(cloud.return_state_machine_arn)) == 1
    assert len(cloud.items("ReturnsTable")) == 1


def test_a_retry_after_a_call_that_failed_once_the_return_had_started_finds_that_return(
    call: Call, cloud: Cloud, confirmed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fail_once_after_the_start(monkeypatch)
    headers = {"Idempotency-Key": "return-lost-answer"}

    with pytest.raises(RuntimeError, match="unreachable"):  # the invocation fails: API Gateway answers 502
        call("POST", f"/orders/{confirmed}/returns", body=return_body(), headers=headers)
    [started] = cloud.executions(cloud.return_state_machine_arn)
    retried = call("POST", f"/orders/{confirmed}/returns", body=return_body(), headers=headers)

    assert retried.status == 202
    assert retried.body["returnId"] == started["name"]
    assert [e["name"] for e in cloud.executions(cloud.return_state_machine_arn)] == [started["name"]]
    [stored] = cloud.items("ReturnsTable")
    assert (stored["returnId"], stored["status"]) == (started["name"], "PENDING")


def test_the_same_key_on_another_order_is_another_request(call: Call, cloud: Cloud, confirmed: str) -> None:
    arrange(cloud, "ord-r2", OrderStatus.CONFIRMED, CONFIRMED_PATH)
    headers = {"Idempotency-Key": "return-2"}

    first = call("POST", f"/orders/{confirmed}/returns", body=return_body(), headers=headers)
    second = call("POST", "/orders/ord-r2/returns", body=return_body(), headers=headers)

    assert (first.status, second.status) == (202, 409)  # the key was used with another order: another body
    assert len(cloud.executions(cloud.return_state_machine_arn)) == 1


def test_an_unknown_return_is_a_404(call: Call) -> None:
    assert call("GET", "/returns/ret-nope").status == 404


def test_the_order_view_shows_its_returns_and_what_was_refunded(call: Call, cloud: Cloud, confirmed: str) -> None:
    accepted = call("POST", f"/orders/{confirmed}/returns", body=return_body()).body
    cloud.stack.returns.complete(accepted["returnId"], "2026-11-22T10:01:00.000Z")  # not validated: stays PENDING
    cloud.stack.payments.refund_return(confirmed, accepted["returnId"], 4999)

    order = call("GET", f"/orders/{confirmed}").body

    assert order["payment"] == {"status": "PARTIALLY_REFUNDED", "amountCents": 9998, "refundedCents": 4999}
    assert order["returns"] == [{"returnId": accepted["returnId"], "status": "PENDING", "refundCents": 0}]

    cloud.stack.payments.refund_return(confirmed, "ret-other", 4999)
    assert call("GET", f"/orders/{confirmed}").body["payment"] == {
        "status": "REFUNDED",
        "amountCents": 9998,
        "refundedCents": 9998,
    }
