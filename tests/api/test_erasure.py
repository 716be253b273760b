"""POST /customers/{customerId}/erase (operators): the customer's id replaced by one pseudonym in every table, the
rest of every item (amounts, statuses, stock, payments) as it was; refused while one of their sagas runs;
idempotent (docs/security.md, "Erasure")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from checkout_saga.models import (
    Order,
    OrderStatus,
    PaymentStatus,
    PricedItem,
    ProjectionChange,
    ReturnRecord,
    ReturnStatus,
    SagaFailure,
    SagaState,
    ShardTake,
)
from tests.api.conftest import Call, Cloud, checkout_body
from tests.support.events import claims_of
from tests.support.template_tables import table_properties

CUSTOMER, BYSTANDER = "c-42", "c-7"
AT = "2026-11-22T10:00:00.000Z"
ITEMS = [PricedItem(sku="KB-001", quantity=2, unit_price_cents=4999)]
SEEDED_KEYBOARDS = 10  # tests/api/conftest.py: CATALOG


@pytest.fixture
def with_outbox(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> Cloud:
    """The stack's choreography: its outbox holds the customer too."""
    monkeypatch.setenv("OUTBOX_TABLE", cloud.tables["OutboxTable"])
    return cloud


def finished_checkout(cloud: Cloud, order_id: str, customer_id: str) -> None:
    """A confirmed checkout as its steps leave it: the order, its stock taken, its payment captured, its log."""
    stack = cloud.stack
    stack.saga_log.record(order_id, SagaState.STARTED, AT, customer_id=customer_id)
    stack.orders.create(Order.new(order_id, customer_id, OrderStatus.PENDING, ITEMS, AT))
    stack.inventory.reserve(order_id, ITEMS, [ShardTake(sku="KB-001", shard=0, quantity=2)])
    stack.payments.attempt(order_id)
    stack.payments.settle(order_id, PaymentStatus.CAPTURED, 9998, None)
    stack.orders.confirm(order_id, AT)
    stack.saga_log.record(order_id, SagaState.CONFIRMED, AT, OrderStatus.CONFIRMED)
    stack.read_model.apply(
        ProjectionChange(
            customer_id=customer_id, saga_id=order_id, kind="checkout", event_type=event_type, spent_cents=spent
        )
        for event_type, spent in (("OrderCreated", None), ("OrderConfirmed", 9998))
    )


def completed_return(cloud: Cloud, return_id: str, order_id: str, customer_id: str) -> None:
    stack = cloud.stack
    record = ReturnRecord.new(return_id, order_id, ReturnStatus.COMPLETED, [], "too loud", AT)
    stack.returns.create(record.model_copy(update={"refund_cents": 4999}))
    stack.payments.refund_return(order_id, return_id, 4999)
    stack.return_saga_log.record(return_id, SagaState.COMPLETED, AT, ReturnStatus.COMPLETED, customer_id)


def failed_before_its_order(cloud: Cloud, order_id: str, customer_id: str) -> None:
    """A checkout whose first step failed: its log alone names the customer (no order was stored)."""
    failure = SagaFailure(step="CreateOrder", error="OrderAlreadyExists", cause="taken")
    cloud.stack.saga_log.record_failure(order_id, failure, AT, customer_id=customer_id)
    cloud.stack.saga_log.record(order_id, SagaState.CANCELLED, AT, OrderStatus.CANCELLED)


def outbox_event(cloud: Cloud, event_id: str, customer_id: str) -> None:
    """An event the choreography published: its document names the customer."""
    detail = {"name": "OrderConfirmed", "sagaId": event_id.split("#")[0], "document": {"customerId": customer_id}}
    item = {"eventId": event_id, "detail": json.dumps(detail, separators=(",", ":")), "expiresAt": 1}
    cloud.dynamodb.Table(cloud.tables["OutboxTable"]).put_item(Item=item)


def checkout_by_the_customer(call: Call, coordination: str = "orchestration") -> str:
    """A real POST /checkout with an Idempotency-Key: its record is keyed by the customer; choreographed, its saga
    log keeps its document and its first event is in the outbox, both naming the customer."""
    response = call(
        "POST",
        "/checkout",
        body=checkout_body(customerId=CUSTOMER, coordination=coordination),
        headers={"Idempotency-Key": "key-1"},
        caller=claims_of(CUSTOMER),
    )
    assert response.status == 202, response.body
    return str(response.body["orderId"])


def everything(cloud: Cloud) -> dict[str, list[Any]]:
    """Every item of every table as JSON, in a stable order."""
    return in_order(json.loads(as_json({logical_id: cloud.items(logical_id) for logical_id in table_properties()})))


def in_order(tables: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {name: sorted(items, key=lambda item: json.dumps(item, sort_keys=True)) for name, items in tables.items()}


def as_json(data: Any) -> str:
    return json.dumps(
        data, sort_keys=True, default=lambda value: sorted(value) if isinstance(value, set) else str(value)
    )


def arrange(cloud: Cloud, call: Call) -> str:
    """The customer's finished checkouts (one started through the API), a return, a failed checkout, summaries
    and outbox events; and a bystander's checkout. Returns the order the API started."""
    started = checkout_by_the_customer(call, "choreography")
    cloud.stack.saga_log.record(started, SagaState.CANCELLED, AT, OrderStatus.CANCELLED)  # it ended (declined)
    finished_checkout(cloud, "ord-1", CUSTOMER)
    completed_return(cloud, "ret-1", "ord-1", CUSTOMER)
    failed_before_its_order(cloud, "ord-2", CUSTOMER)
    outbox_event(cloud, "ord-1#OrderConfirmed#0", CUSTOMER)
    finished_checkout(cloud, "ord-9", BYSTANDER)
    outbox_event(cloud, "ord-9#OrderConfirmed#0", BYSTANDER)
    return started


def test_erasure_leaves_no_customer_id_and_every_amount_and_status(call: Call, with_outbox: Cloud) -> None:
    cloud = with_outbox
    started = arrange(cloud, call)
    before = everything(cloud)
    assert CUSTOMER in as_json(before)
    assert any("validation" in record for record in before["IdempotencyTable"])  # what the erasure must drop
    assert CUSTOMER in as_json([item.get("checkout") for item in before["SagaLogTable"]])  # a choreographed saga's

    response = call("POST", f"/customers/{CUSTOMER}/erase")

    assert response.status == 200, response.body
    assert response.body == {"customerId": CUSTOMER, "erased": True}
    after = everything(cloud)
    assert f'"{CUSTOMER}' not in as_json(after)  # not as an id, nor as the start of a key
    assert f"#{CUSTOMER}#" not in as_json(after)
    pseudonyms = {
        item["customerId"]
        for logical_id in ("OrdersTable", "SagaLogTable", "ReturnSagaLogTable", "CustomerSummariesTable")
        for item in after[logical_id]
        if item.get("customerId") != BYSTANDER
    }
    assert len(pseudonyms) == 1  # one pseudonym: the customer's records still belong together
    (pseudonym,) = pseudonyms
    assert pseudonym.startswith("erased-")
    # Put the id back where the pseudonym is: every table is as it was, but for what the erasure had to drop
    # (an idempotency record's digest of a body that named the customer) and its receipt.
    restored = in_order(json.loads(as_json(after).replace(pseudonym, CUSTOMER)))
    receipts = [item for item in restored["IdempotencyTable"] if item["id"].startswith("erasure#")]
    restored["IdempotencyTable"] = [item for item in restored["IdempotencyTable"] if item not in receipts]
    expected = in_order(before)
    for item in expected["IdempotencyTable"]:
        item.pop("validation", None)
    assert restored == expected
    assert len(receipts) == 1
    assert CUSTOMER not in as_json(receipts)
    # Stock and money still balance: nothing of them changed (above), and the balances hold.
    assert cloud.stack.available("KB-001")["KB-001"] + 2 * 2 == SEEDED_KEYBOARDS
    payment = cloud.stack.payments.get("ord-1")
    assert payment is not None
    assert (payment.amount_cents, payment.refunded_cents) == (9998, 4999)
    erased_order = cloud.stack.orders.get("ord-1")
    assert erased_order is not None
    assert (erased_order.status, erased_order.total_cents) == (OrderStatus.CONFIRMED, 9998)
    assert call("GET", f"/customers/{CUSTOMER}/orders").body == {"items": [], "next": None}
    assert [item["orderId"] for item in call("GET", f"/customers/{pseudonym}/orders").body["items"]] == ["ord-1"]
    assert call("GET", f"/orders/{started}").status == 200


def test_a_second_erasure_answers_the_same_and_changes_nothing(call: Call, with_outbox: Cloud) -> None:
    arrange(with_outbox, call)
    first = call("POST", f"/customers/{CUSTOMER}/erase")
    after_first = everything(with_outbox)

    second = call("POST", f"/customers/{CUSTOMER}/erase")

    assert (second.status, second.body) == (first.status, first.body) == (200, {"customerId": CUSTOMER, "erased": True})
    assert everything(with_outbox) == after_first


def test_erasure_is_refused_while_a_saga_of_the_customer_runs(call: Call, cloud: Cloud) -> None:
    started = checkout_by_the_customer(call)  # its log says PENDING until the saga ends
    finished_checkout(cloud, "ord-1", CUSTOMER)
    before = everything(cloud)

    response = call("POST", f"/customers/{CUSTOMER}/erase")

    assert response.status == 409
    assert started in response.body["message"]
    assert "running" in response.body["message"]
    assert everything(cloud) == before  # nothing half-written


def test_a_running_return_refuses_it_too(call: Call, cloud: Cloud) -> None:
    finished_checkout(cloud, "ord-1", CUSTOMER)
    cloud.stack.return_saga_log.record("ret-1", SagaState.STARTED, AT, customer_id=CUSTOMER)

    response = call("POST", f"/customers/{CUSTOMER}/erase")

    assert response.status == 409
    assert "ret-1" in response.body["message"]


def test_a_customer_may_not_erase_anyone_not_even_themselves(call: Call, cloud: Cloud) -> None:
    finished_checkout(cloud, "ord-1", CUSTOMER)

    response = call("POST", f"/customers/{CUSTOMER}/erase", caller=claims_of(CUSTOMER))

    assert response.status == 403
    assert "operators" in response.body["message"]
    order = cloud.stack.orders.get("ord-1")
    assert order is not None
    assert order.customer_id == CUSTOMER


def test_an_unknown_customer_is_a_404_naming_them(call: Call, cloud: Cloud) -> None:
    finished_checkout(cloud, "ord-9", BYSTANDER)

    response = call("POST", "/customers/nobody/erase")

    assert response.status == 404
    assert response.body == {"message": "no customer nobody: nothing is stored under this id"}


def test_an_id_longer_than_a_customer_id_is_a_400_naming_the_field(call: Call, cloud: Cloud) -> None:
    response = call("POST", f"/customers/{'x' * 65}/erase")

    assert response.status == 400
    assert [error["field"] for error in response.body["errors"]] == ["customerId"]
