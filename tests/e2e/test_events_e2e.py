"""The sagas' events on a real local cloud: both coordinations tell the same history for the same outcome; the
history reaches the customers' read model through the saga logs' streams, the bus and the projector; a replay of
the archive rebuilds the read model exactly and changes no order, stock, payment or saga (docs/events.md)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
import requests

from checkout_saga.saga_definition import RETURN
from saga_client.polling import pauses
from saga_client.replay import replay
from tests.e2e.test_coordinations_e2e import COORDINATIONS
from tests.e2e.test_saga_e2e import wait_for_order
from tests.support.stack import Stack
from tests.unit.test_saga_history import DECLINED

T = TypeVar("T")
OUTCOMES = {"tok_visa": "CONFIRMED", "tok_declined": "CANCELLED"}


def eventually(read: Callable[[], T], done: Callable[[T], bool], timeout: float = 20) -> T:
    """What `read` returns once `done` holds (the read model and the history lag the saga a little)."""
    deadline = time.monotonic() + timeout
    waits = pauses(0.05)
    while True:
        value = read()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(next(waits))


def get(stack: Stack, path: str, customer: str) -> Any:
    response = requests.get(f"{stack.outputs['ApiUrl']}{path}", headers=stack.auth(customer), timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.e2e
@pytest.mark.slow  # five sagas, then a replay
def test_both_coordinations_tell_the_same_history_and_a_replay_rebuilds_the_summary(
    deployed_stack: Stack, sku: str
) -> None:
    stack, customer = deployed_stack, f"c-events-{uuid.uuid4().hex[:8]}"
    since = datetime.now(UTC) - timedelta(seconds=5)
    orders: dict[tuple[str, str], str] = {}
    for token in OUTCOMES:
        for coordination in COORDINATIONS:
            body: dict[str, Any] = {
                "items": [{"sku": sku, "quantity": 2}],
                "paymentToken": token,
                "coordination": coordination,
            }
            accepted = requests.post(
                f"{stack.outputs['ApiUrl']}/checkout", json=body, headers=stack.auth(customer), timeout=10
            )
            assert accepted.status_code == 202, accepted.text
            orders[token, coordination] = accepted.json()["orderId"]
    for (token, _), order_id in orders.items():
        assert wait_for_order(stack, order_id)["status"] == OUTCOMES[token]

    histories = {
        key: [event["type"] for event in get(stack, f"/sagas/{order_id}/events", customer)["events"]]
        for key, order_id in orders.items()
    }
    assert histories["tok_visa", "orchestration"] == [
        "OrderCreated",
        "StockReserved",
        "PaymentCharged",
        "OrderConfirmed",
    ]
    assert histories["tok_declined", "orchestration"] == DECLINED
    for token in OUTCOMES:
        assert histories[token, "choreography"] == histories[token, "orchestration"], token

    # A return of one unit of a confirmed order: its own history, under its returnId.
    returned = requests.post(
        f"{stack.outputs['ApiUrl']}/orders/{orders['tok_visa', 'orchestration']}/returns",
        json={"items": [{"sku": sku, "quantity": 1}], "reason": "events"},
        headers=stack.auth(customer),
        timeout=10,
    )
    assert returned.status_code == 202, returned.text
    return_id = returned.json()["returnId"]
    completed = eventually(lambda: get(stack, f"/returns/{return_id}", customer), lambda r: r["status"] != "PENDING")
    assert completed["status"] == "COMPLETED"
    return_history = get(stack, f"/sagas/{return_id}/events", customer)["events"]
    assert [event["type"] for event in return_history] == [step.announces for step in RETURN.forward]
    assert return_history[-1]["detail"]["amountCents"] == 1250

    expected = {
        "customerId": customer,
        "orders": 4,
        "confirmed": 2,
        "cancelled": 2,
        "returned": 1,
        "spentCents": 2 * 2 * 1250,
        "refundedCents": 1250,
    }
    live = eventually(lambda: get(stack, "/customers/me/summary", customer), lambda s: s | expected == s)
    assert live | expected == live, live
    assert live["lastOrderAt"] is not None

    # Drop the read model, replay the archive: the same summary, and nothing else changed.
    before = data_of(stack, list(orders.values()), sku, return_id)
    projections = stack.read_model.projections_of(customer)
    assert stack.read_model.delete(customer) == sum(len(projection.events) for projection in projections)
    assert get(stack, "/customers/me/summary", customer)["orders"] == 0

    result = replay(stack, since, say=lambda _: None)

    assert result.state == "COMPLETED"
    assert get(stack, "/customers/me/summary", customer) == live
    assert stack.read_model.projections_of(customer) == projections
    assert data_of(stack, list(orders.values()), sku, return_id) == before


def data_of(stack: Stack, order_ids: list[str], sku: str, return_id: str) -> dict[str, Any]:
    """What a replay must not change: the orders, their payments and sagas, the return and its saga, the stock."""
    return {
        "return": (stack.returns.get(return_id), stack.return_saga_log.get(return_id)),
        "orders": [stack.orders.get(order_id) for order_id in order_ids],
        "payments": [stack.payments.get(order_id) for order_id in order_ids],
        "sagas": [stack.saga_log.get(order_id) for order_id in order_ids],
        "stock": stack.available(sku),
    }
