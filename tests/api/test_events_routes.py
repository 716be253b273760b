"""GET /sagas/{orderId}/events (a checkout's or a return's history, for operators and its own customer) and the
customers' summaries, in process over moto: the saga log and the read model are written as the steps and the
projector write them."""

from __future__ import annotations

from checkout_saga.dal.dynamodb_read_model import DynamoDBReadModel
from checkout_saga.models import (
    LineItem,
    Order,
    OrderStatus,
    PricedItem,
    ProjectionChange,
    ReturnRecord,
    ReturnStatus,
    SagaFailure,
    SagaState,
)
from tests.api.conftest import Call, Cloud
from tests.support.events import claims_of
from tests.unit.test_saga_history import DECLINED

AT = "2026-12-06T10:00:0{}.000Z"


def declined_checkout(cloud: Cloud, order_id: str, customer_id: str) -> None:
    """What a checkout declined at ChargePayment leaves in the saga log (and its order)."""
    order = Order.new(
        order_id, customer_id, OrderStatus.CANCELLED, [PricedItem(sku="KB-001", quantity=1, unit_price_cents=4999)], AT
    )
    cloud.stack.orders.create(order)
    log = cloud.stack.saga_log
    log.record(order_id, SagaState.STARTED, AT.format(0), customer_id=customer_id)
    log.record(order_id, SagaState.ORDER_CREATED, AT.format(1))
    log.record(order_id, SagaState.STOCK_RESERVED, AT.format(2))
    log.record_failure(order_id, SagaFailure(step="ChargePayment", error="PaymentDeclined", cause="no"), AT.format(3))
    for second, state in enumerate([SagaState.PAYMENT_REFUNDED, SagaState.STOCK_RELEASED, SagaState.CANCELLED], 4):
        log.record(order_id, state, AT.format(second))


def test_a_customer_reads_their_sagas_events_in_order(call: Call, cloud: Cloud) -> None:
    declined_checkout(cloud, "ord-1", "c-42")

    response = call("GET", "/sagas/ord-1/events", caller=claims_of("c-42"))

    assert response.status == 200
    assert response.body["orderId"] == "ord-1"
    events = response.body["events"]
    assert [event["type"] for event in events] == DECLINED
    assert [event["seq"] for event in events] == [1, 2, 3, 4, 5, 6]
    assert events[2] == {
        "seq": 3,
        "type": "ChargePaymentFailed",
        "at": AT.format(3),
        "source": "Payments",
        "detail": {
            "orderId": "ord-1",
            "customerId": "c-42",
            "amountCents": 4999,
            "step": "ChargePayment",
            "error": "PaymentDeclined",
            "cause": "no",
        },
    }
    assert call("GET", "/sagas/ord-1/events").body == response.body  # an operator sees the same


def test_someone_elses_or_an_unknown_saga_is_a_404(call: Call, cloud: Cloud) -> None:
    declined_checkout(cloud, "ord-1", "c-42")

    assert call("GET", "/sagas/ord-1/events", caller=claims_of("c-77")).status == 404
    assert call("GET", "/sagas/ord-none/events").status == 404


def test_a_return_has_its_history_under_its_return_id(call: Call, cloud: Cloud) -> None:
    declined_checkout(cloud, "ord-1", "c-42")
    returned = ReturnRecord.new(
        "ret-1", "ord-1", ReturnStatus.COMPLETED, [LineItem(sku="KB-001", quantity=1)], None, AT.format(0)
    )
    cloud.stack.returns.create(returned.model_copy(update={"refund_cents": 4999}))
    log = cloud.stack.return_saga_log
    for second, state in enumerate([SagaState.STARTED, SagaState.RETURN_VALIDATED, SagaState.RETURN_REFUNDED]):
        log.record("ret-1", state, AT.format(second))

    response = call("GET", "/sagas/ret-1/events", caller=claims_of("c-42"))

    assert response.status == 200
    assert [(event["type"], event["source"]) for event in response.body["events"]] == [
        ("ReturnValidated", "Returns"),
        ("ReturnRefunded", "Payments"),
    ]
    assert response.body["events"][1]["detail"]["returnId"] == "ret-1"
    assert response.body["events"][1]["detail"]["amountCents"] == 4999
    assert call("GET", "/sagas/ret-1/events", caller=claims_of("c-77")).status == 404


def test_summaries_of_the_read_model_for_the_customer_and_operators(call: Call, cloud: Cloud) -> None:
    model = DynamoDBReadModel(cloud.dynamodb.Table(cloud.tables["CustomerSummariesTable"]))
    saga = {"customer_id": "c-42", "saga_id": "ord-1", "kind": "checkout"}
    model.apply([ProjectionChange(**saga, event_type="OrderCreated", placed_at=AT.format(1))])
    model.apply([ProjectionChange(**saga, event_type="OrderConfirmed", spent_cents=900)])
    expected = {
        "customerId": "c-42",
        "orders": 1,
        "confirmed": 1,
        "cancelled": 0,
        "returned": 0,
        "spentCents": 900,
        "refundedCents": 0,
        "lastOrderAt": AT.format(1),
    }

    assert call("GET", "/customers/me/summary", caller=claims_of("c-42")).body == expected
    assert call("GET", "/customers/c-42/summary").body == expected
    assert call("GET", "/customers/c-42/summary", caller=claims_of("c-42")).status == 403
    assert call("GET", "/customers/me/summary", caller=claims_of("c-0")).body["orders"] == 0
