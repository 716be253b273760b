"""One write per step: the DynamoDB repositories write a step's effect and its saga-log transition in one
TransactWriteItems, against moto's tables built from template.yaml; a step delivered again writes nothing
more, and a refusal says why without another read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from checkout_saga.dal.dynamodb_outbox import DynamoDBOutbox
from checkout_saga.dal.outbox_starter import OutboxSagaStarter
from checkout_saga.errors import StockMoved
from checkout_saga.models import (
    Order,
    OrderStatus,
    PaymentStatus,
    PricedItem,
    ReservationStatus,
    SagaFailure,
    SagaState,
    ShardTake,
)
from tests.api.conftest import Cloud

AT = "2026-01-01T00:00:00Z"


@contextmanager
def requests_made(client: Any) -> Iterator[list[str]]:
    """The DynamoDB operations `client` sends while the block runs."""
    made: list[str] = []

    def count(model: Any, **_: Any) -> None:
        made.append(model.name)

    client.meta.events.register("before-call.dynamodb", count)
    try:
        yield made
    finally:
        client.meta.events.unregister("before-call.dynamodb", count)


def _states(cloud: Cloud, saga_id: str) -> list[str]:
    saga = cloud.stack.saga_log.get(saga_id)
    return [entry.state.value for entry in saga.history] if saga else []


def _item(sku: str, quantity: int) -> PricedItem:
    return PricedItem(sku=sku, quantity=quantity, unit_price_cents=100)


def _pending_order(order_id: str, sku: str) -> Order:
    return Order(
        order_id=order_id,
        customer_id="c-1",
        status=OrderStatus.PENDING,
        items=[_item(sku, 1)],
        total_cents=100,
        created_at=AT,
        updated_at=AT,
    )


def _client(cloud: Cloud) -> Any:
    return cloud.stack.inventory._client


def _from_shard_0(sku: str, quantity: int) -> list[ShardTake]:
    return [ShardTake(sku=sku, shard=0, quantity=quantity)]


@pytest.fixture
def sku(cloud: Cloud) -> str:
    product = cloud.stack.inventory.get_products(["KB-001"])["KB-001"]
    return product.sku


def test_reserve_writes_the_stock_and_the_log_in_one_request_and_once(cloud: Cloud, sku: str) -> None:
    stack = cloud.stack
    before = stack.available(sku)[sku]
    log = stack.saga_log.pending("ord-1", SagaState.STOCK_RESERVED, AT)
    with requests_made(_client(cloud)) as made:
        reservation = stack.inventory.reserve("ord-1", [_item(sku, 2)], _from_shard_0(sku, 2), log=log)
    assert made == ["TransactWriteItems"]
    assert (reservation.status, log.appended) == (ReservationStatus.RESERVED, True)
    assert _states(cloud, "ord-1") == ["STOCK_RESERVED"]

    again = stack.saga_log.pending("ord-1", SagaState.STOCK_RESERVED, AT)
    with requests_made(_client(cloud)) as made:
        replay = stack.inventory.reserve("ord-1", [_item(sku, 2)], _from_shard_0(sku, 2), log=again)
    assert made == ["TransactWriteItems"]  # refused: the reservation came back with the refusal, no read
    assert (replay.status, again.appended) == (ReservationStatus.RESERVED, False)
    assert stack.available(sku)[sku] == before - 2
    assert _states(cloud, "ord-1") == ["STOCK_RESERVED"]


def test_a_shard_short_of_the_plan_refuses_and_writes_nothing(cloud: Cloud, sku: str) -> None:
    stack = cloud.stack
    available = stack.available(sku)[sku]
    log = stack.saga_log.pending("ord-2", SagaState.STOCK_RESERVED, AT)
    with requests_made(_client(cloud)) as made, pytest.raises(StockMoved, match=sku):
        stack.inventory.reserve("ord-2", [_item(sku, available + 1)], _from_shard_0(sku, available + 1), log=log)
    assert made == ["TransactWriteItems"]
    assert log.appended is False
    assert stack.inventory.get_reservation("ord-2") is None
    assert stack.saga_log.get("ord-2") is None
    assert stack.available(sku)[sku] == available


@pytest.mark.parametrize("api_first", [True, False])
def test_create_opens_the_history_only_if_the_api_has_not(cloud: Cloud, sku: str, api_first: bool) -> None:
    stack = cloud.stack
    if api_first:
        assert stack.saga_log.record("ord-3", SagaState.STARTED, AT, customer_id="c-1")
    order = _pending_order("ord-3", sku)
    log = stack.saga_log.pending("ord-3", SagaState.ORDER_CREATED, AT, customer_id="c-1", opens_with=SagaState.STARTED)
    with requests_made(_client(cloud)) as made:
        assert stack.orders.create(order, log=log) == order
    assert made == ["TransactWriteItems"]
    assert log.appended is True
    assert _states(cloud, "ord-3") == ["STARTED", "ORDER_CREATED"]
    # The API's STARTED arriving late is refused: the saga started once.
    assert stack.saga_log.record("ord-3", SagaState.STARTED, AT, customer_id="c-1") is False
    saga = stack.saga_log.get("ord-3")
    assert saga is not None
    assert saga.customer_id == "c-1"


@pytest.mark.parametrize("api_first", [True, False])
def test_a_choreographed_start_leaves_the_history_to_its_first_transition(
    cloud: Cloud, sku: str, api_first: bool
) -> None:
    """The API starts a choreographed saga with one transaction (its log marked, CheckoutRequested in the outbox),
    then logs STARTED; the orders service may create the order in between. Either way the history opens with
    STARTED, once."""
    stack = cloud.stack
    outbox = DynamoDBOutbox(cloud.dynamodb.Table(cloud.tables["OutboxTable"]))
    OutboxSagaStarter(cloud.tables["SagaLogTable"], outbox).start("ord-7", {"orderId": "ord-7"})
    if api_first:
        assert stack.saga_log.record("ord-7", SagaState.STARTED, AT, customer_id="c-1")
    log = stack.saga_log.pending("ord-7", SagaState.ORDER_CREATED, AT, customer_id="c-1", opens_with=SagaState.STARTED)
    assert stack.orders.create(_pending_order("ord-7", sku), log=log) is not None
    assert log.appended is True
    assert stack.saga_log.record("ord-7", SagaState.STARTED, AT, customer_id="c-1") is False

    assert _states(cloud, "ord-7") == ["STARTED", "ORDER_CREATED"]


@pytest.mark.parametrize("first", [SagaState.CANCELLED, SagaState.ORDER_CREATED])
def test_the_apis_started_after_the_saga_has_logged_is_refused(cloud: Cloud, first: SagaState) -> None:
    """A saga can log before the API's STARTED: a fast one, or one a keyed retry found already done (its
    CreateOrder failed, so CancelOrder logged CANCELLED first). STARTED then neither sets it back nor follows
    its end in the history."""
    stack = cloud.stack
    status = OrderStatus.CANCELLED if first is SagaState.CANCELLED else None
    assert stack.saga_log.record("ord-5", first, AT, status=status, customer_id="c-1")
    assert stack.saga_log.record("ord-5", SagaState.STARTED, AT, customer_id="c-1") is False
    saga = stack.saga_log.get("ord-5")
    assert saga is not None
    assert (saga.state, saga.status) == (first, status or OrderStatus.PENDING)
    assert _states(cloud, "ord-5") == [first.value]


def test_the_apis_started_opens_a_log_holding_only_a_failure(cloud: Cloud) -> None:
    stack = cloud.stack
    assert stack.saga_log.record_failure("ord-6", SagaFailure(step="CreateOrder", error="X", cause="x"), AT)
    assert stack.saga_log.record("ord-6", SagaState.STARTED, AT, customer_id="c-1") is True
    assert _states(cloud, "ord-6") == ["STARTED"]


def test_a_fenced_order_is_not_confirmed_and_its_log_is_left_alone(cloud: Cloud, sku: str) -> None:
    stack = cloud.stack
    stack.orders.create(_pending_order("ord-4", sku))
    stack.orders.fence("ord-4", AT)
    log = stack.saga_log.pending("ord-4", SagaState.CONFIRMED, AT, status=OrderStatus.CONFIRMED)
    with requests_made(_client(cloud)) as made:
        assert stack.orders.confirm("ord-4", AT, log=log) is OrderStatus.PENDING
    assert made == ["TransactWriteItems"]
    assert log.appended is False
    assert stack.saga_log.get("ord-4") is None
    assert stack.orders.confirm("nobody", AT, log=stack.saga_log.pending("nobody", SagaState.CONFIRMED, AT)) is None


def test_a_settled_payment_answers_an_attempt_without_counting_it(cloud: Cloud) -> None:
    stack = cloud.stack
    assert stack.payments.attempt("ord-5").attempts == 1
    log = stack.saga_log.pending("ord-5", SagaState.PAYMENT_CHARGED, AT)
    with requests_made(_client(cloud)) as made:
        settled = stack.payments.settle("ord-5", PaymentStatus.CAPTURED, 700, None, log=log)
    assert made == ["TransactWriteItems"]
    assert (settled.status, log.appended) == (PaymentStatus.CAPTURED, True)
    with requests_made(_client(cloud)) as made:
        replay = stack.payments.attempt("ord-5")
    assert made == ["UpdateItem"]  # refused, the payment in the refusal: no read
    assert (replay.status, replay.attempts, replay.amount_cents) == (PaymentStatus.CAPTURED, 1, 700)
    # A second outcome is refused with the first one in the answer.
    late = stack.payments.settle(
        "ord-5",
        PaymentStatus.DECLINED,
        700,
        "PaymentDeclined: no",
        log=stack.saga_log.pending("ord-5", SagaState.PAYMENT_CHARGED, AT),
    )
    assert late.status is PaymentStatus.CAPTURED
    assert _states(cloud, "ord-5") == ["PAYMENT_CHARGED"]
