"""GET /orders/{orderId} (openapi.json): the order, its payment and its saga, in every status."""

from __future__ import annotations

import json
from typing import Any

import pytest

from checkout_saga.handlers.api_routes.views import CUSTOMER_CAUSE
from checkout_saga.models import (
    Order,
    OrderStatus,
    PaymentStatus,
    PricedItem,
    SagaFailure,
    SagaState,
)
from tests.api.conftest import Call, Cloud, checkout_body
from tests.support.events import claims_of

T0 = "2026-11-22T10:00:00.000Z"
ITEMS = [PricedItem(sku="KB-001", quantity=2, unit_price_cents=4999)]


def arrange(cloud: Cloud, order_id: str, status: OrderStatus, states: list[SagaState]) -> None:
    """An order as the saga leaves it: the order row and the saga log, each transition one second apart."""
    stack = cloud.stack
    stack.orders.create(Order.new(order_id, "c-42", status, ITEMS, T0))
    for second, state in enumerate(states):
        final = state.value if state.value in OrderStatus.__members__ else None
        stack.saga_log.record(
            order_id,
            state,
            f"2026-11-22T10:00:0{second}.000Z",
            status=OrderStatus(final) if final else None,
            customer_id="c-42",
        )


def history(states: list[SagaState]) -> list[dict[str, str]]:
    return [{"state": state.value, "at": f"2026-11-22T10:00:0{i}.000Z"} for i, state in enumerate(states)]


CONFIRMED_PATH = [
    SagaState.STARTED,
    SagaState.ORDER_CREATED,
    SagaState.STOCK_RESERVED,
    SagaState.PAYMENT_CHARGED,
    SagaState.CONFIRMED,
]


def test_a_confirmed_order(call: Call, cloud: Cloud) -> None:
    arrange(cloud, "ord-1", OrderStatus.CONFIRMED, CONFIRMED_PATH)
    cloud.stack.payments.settle("ord-1", PaymentStatus.CAPTURED, 9998, None)

    response = call("GET", "/orders/ord-1")

    assert response.status == 200
    assert response.body == {
        "orderId": "ord-1",
        "customerId": "c-42",
        "status": "CONFIRMED",
        "items": [{"sku": "KB-001", "quantity": 2, "unitPriceCents": 4999}],
        "totalCents": 9998,
        "payment": {"status": "CAPTURED", "amountCents": 9998, "refundedCents": 0},
        "saga": {
            "state": "CONFIRMED",
            "history": history(CONFIRMED_PATH),
            "failure": None,
            "coordination": "orchestration",
        },
        "returns": [],
    }


def test_an_order_cancelled_by_a_declined_card(call: Call, cloud: Cloud) -> None:
    states = [
        SagaState.STARTED,
        SagaState.ORDER_CREATED,
        SagaState.STOCK_RESERVED,
        SagaState.PAYMENT_REFUNDED,
        SagaState.STOCK_RELEASED,
        SagaState.CANCELLED,
    ]
    arrange(cloud, "ord-2", OrderStatus.CANCELLED, states)
    cloud.stack.payments.settle("ord-2", PaymentStatus.DECLINED, 9998, "PaymentDeclined: card declined")
    failure = SagaFailure(step="ChargePayment", error="PaymentDeclined", cause="card declined for 9998 cents")
    cloud.stack.saga_log.record_failure("ord-2", failure, T0)

    response = call("GET", "/orders/ord-2")

    assert response.status == 200
    assert response.body["status"] == "CANCELLED"
    assert response.body["payment"] == {
        "status": "NONE",
        "amountCents": 0,
        "refundedCents": 0,
    }  # declined: nothing was taken
    assert response.body["saga"] == {
        "state": "CANCELLED",
        "history": history(states),
        "failure": {"step": "ChargePayment", "error": "PaymentDeclined", "cause": "card declined for 9998 cents"},
        "coordination": "orchestration",
    }


def test_a_customer_reads_a_generic_cause_and_an_operator_the_failures_own(call: Call, cloud: Cloud) -> None:
    # Given an order its operator compensated, with a free-text reason, and an undo that failed on a permission
    arrange(cloud, "ord-3", OrderStatus.COMPENSATION_FAILED, [SagaState.STARTED, SagaState.COMPENSATION_FAILED])
    log = cloud.stack.saga_log
    log.record_failure(
        "ord-3", SagaFailure(step="ReserveStock", error="ForcedCompensation", cause="fraud, per Ann"), T0
    )
    denied = "User: arn:aws:sts::123456789012:assumed-role/ReleaseStockRole/x is not authorized on table/Inventory"
    log.record_failure("ord-3", SagaFailure(step="ReleaseStock", error="AccessDeniedException", cause=denied), T0, True)

    as_customer = call("GET", "/orders/ord-3", caller=claims_of("c-42"))
    as_operator = call("GET", "/orders/ord-3")

    # Then the customer sees what failed, not why in the operators' words; the operator sees everything
    assert as_customer.body["saga"]["failure"] == {
        "step": "ReleaseStock",
        "error": "AccessDeniedException",
        "cause": CUSTOMER_CAUSE,
    }
    assert "arn:aws" not in json.dumps(as_customer.body)
    assert as_operator.body["saga"]["failure"]["cause"] == denied


@pytest.mark.parametrize(
    ("settled", "shown"),
    [
        ([PaymentStatus.CAPTURED, "refund"], {"status": "REFUNDED", "amountCents": 9998, "refundedCents": 9998}),
        (["refund"], {"status": "NONE", "amountCents": 0, "refundedCents": 0}),  # voided before any capture
        ([], {"status": "NONE", "amountCents": 0, "refundedCents": 0}),
    ],
    ids=["refunded", "voided", "none"],
)
def test_payment_statuses(call: Call, cloud: Cloud, settled: list[Any], shown: dict[str, Any]) -> None:
    arrange(cloud, "ord-3", OrderStatus.CANCELLED, [SagaState.STARTED, SagaState.CANCELLED])
    for step in settled:
        if step == "refund":
            cloud.stack.payments.refund("ord-3")
        else:
            cloud.stack.payments.settle("ord-3", step, 9998, None)

    assert call("GET", "/orders/ord-3").body["payment"] == shown


def test_compensation_failed_shows_the_undo_that_failed(call: Call, cloud: Cloud) -> None:
    states = [SagaState.STARTED, SagaState.ORDER_CREATED, SagaState.COMPENSATION_FAILED]
    arrange(cloud, "ord-4", OrderStatus.COMPENSATION_FAILED, states)
    log = cloud.stack.saga_log
    log.record_failure("ord-4", SagaFailure(step="ConfirmOrder", error="InjectedFailure", cause="boom"), T0)
    undo = SagaFailure(step="ReleaseStock", error="TransientStepError", cause=None)
    log.record_failure("ord-4", undo, T0, compensation=True)

    body = call("GET", "/orders/ord-4").body

    assert body["status"] == "COMPENSATION_FAILED"
    assert body["saga"]["state"] == "COMPENSATION_FAILED"
    assert body["saga"]["failure"] == {"step": "ReleaseStock", "error": "TransientStepError", "cause": ""}


def test_just_after_checkout_the_order_is_pending_from_its_saga(call: Call) -> None:
    accepted = call("POST", "/checkout", body=checkout_body()).body

    response = call("GET", f"/orders/{accepted['orderId']}")

    assert response.status == 200
    body = response.body
    assert (body["orderId"], body["customerId"], body["status"]) == (accepted["orderId"], "c-42", "PENDING")
    assert (body["items"], body["totalCents"], body["payment"]) == (
        [],
        0,
        {"status": "NONE", "amountCents": 0, "refundedCents": 0},
    )
    assert body["saga"]["state"] == "STARTED"
    assert [entry["state"] for entry in body["saga"]["history"]] == ["STARTED"]
    assert body["saga"]["failure"] is None


def test_an_unknown_order_is_a_404(call: Call) -> None:
    response = call("GET", "/orders/does-not-exist")

    assert response.status == 404
    assert set(response.body) == {"message"}


@pytest.mark.parametrize("order_id", ["has space", "x" * 81, "ünïcode", "a;b"])
def test_a_malformed_order_id_is_a_400(call: Call, order_id: str) -> None:
    response = call("GET", f"/orders/{order_id}")

    assert response.status == 400
    assert [error["field"] for error in response.body["errors"]] == ["orderId"]
