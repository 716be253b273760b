"""The choreography's transactional outbox on moto's DynamoDB (tables from template.yaml): a transition and its
event are written together or not at all; a step delivered again emits only what is missing; a forward step's
transition and failure exclude each other, except the pivot's (ConfirmOrder)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from checkout_saga.dal.dynamodb_inventory import DynamoDBInventory
from checkout_saga.dal.dynamodb_orders import DynamoDBOrders
from checkout_saga.dal.dynamodb_outbox import DynamoDBOutbox, OutboxSagaLog, StepFailedMeanwhile
from checkout_saga.dal.dynamodb_saga_log import DynamoDBSagaLog
from checkout_saga.logic.inventory import reserve_stock
from checkout_saga.logic.orders import create_order
from checkout_saga.models import CheckoutInput, Product, SagaContext, SagaState, StepName
from checkout_saga.saga_events import SCHEMA_VERSION, SagaEvent, failed
from tests.support.template_tables import create_tables

NOW = "2026-11-26T10:00:00.000Z"
CONTEXT = {"orderId": "o-1", "items": [{"sku": "KB-001", "quantity": 1, "unitPriceCents": 100}]}


@pytest.fixture
def tables() -> Iterator[tuple[DynamoDBSagaLog, DynamoDBOutbox, DynamoDBInventory]]:
    with mock_aws():
        names = create_tables(boto3.client("dynamodb", region_name="us-east-1"))
        dynamodb = boto3.resource("dynamodb", region_name="us-east-1")
        inventory = DynamoDBInventory(dynamodb.Table(names["InventoryTable"]))
        inventory.put_product(Product(sku="KB-001", name="Keyboard", unit_price_cents=100, available=5))
        yield (
            DynamoDBSagaLog(dynamodb.Table(names["SagaLogTable"])),
            DynamoDBOutbox(dynamodb.Table(names["OutboxTable"])),
            inventory,
        )


def events(outbox: DynamoDBOutbox) -> dict[str, dict[str, Any]]:
    items = outbox.client.scan(TableName=outbox.table_name)["Items"]
    return {str(item["eventId"]): json.loads(str(item["detail"])) for item in items}


def test_a_transition_and_its_event_are_written_together_and_once(tables: Any) -> None:
    saga_log, outbox, _inventory = tables
    log = OutboxSagaLog(saga_log, outbox, 0, CONTEXT, StepName.RESERVE_STOCK)

    assert log.record("o-1", SagaState.STOCK_RESERVED, NOW) is True
    assert log.record("o-1", SagaState.STOCK_RESERVED, NOW) is False  # delivered again: nothing new

    assert events(outbox) == {
        "o-1#StockReserved#0": {
            "sagaId": "o-1",
            "name": "StockReserved",
            "round": 0,
            "context": CONTEXT,
            "schemaVersion": SCHEMA_VERSION,
        }
    }
    saga = saga_log.get("o-1")
    assert saga is not None
    assert [t.state for t in saga.history] == [SagaState.STOCK_RESERVED]
    assert log.announced == ["StockReserved", "StockReserved"]


def test_a_new_round_emits_again_what_an_earlier_round_lost(tables: Any) -> None:
    saga_log, outbox, _inventory = tables
    OutboxSagaLog(saga_log, outbox, 0, CONTEXT).record("o-1", SagaState.PAYMENT_REFUNDED, NOW)

    assert OutboxSagaLog(saga_log, outbox, 1, CONTEXT).record("o-1", SagaState.PAYMENT_REFUNDED, NOW) is False

    assert set(events(outbox)) == {"o-1#PaymentRefunded#0", "o-1#PaymentRefunded#1"}


def test_a_forward_step_whose_failure_is_out_records_nothing(tables: Any) -> None:
    saga_log, outbox, _inventory = tables
    failure = SagaEvent(saga_id="o-1", name=failed(StepName.RESERVE_STOCK), context=CONTEXT)
    assert outbox.emit_failure(failure, saga_log.table_name, StepName.RESERVE_STOCK, NOW) is True

    with pytest.raises(StepFailedMeanwhile):
        OutboxSagaLog(saga_log, outbox, 0, CONTEXT, StepName.RESERVE_STOCK).record("o-1", SagaState.STOCK_RESERVED, NOW)

    assert saga_log.get("o-1") is None
    assert set(events(outbox)) == {"o-1#ReserveStockFailed#0"}


def test_a_forward_step_that_took_effect_emits_no_failure(tables: Any) -> None:
    saga_log, outbox, _inventory = tables
    OutboxSagaLog(saga_log, outbox, 0, CONTEXT, StepName.CHARGE_PAYMENT).record("o-1", SagaState.PAYMENT_CHARGED, NOW)
    failure = SagaEvent(saga_id="o-1", name=failed(StepName.CHARGE_PAYMENT), context=CONTEXT)

    assert outbox.emit_failure(failure, saga_log.table_name, StepName.CHARGE_PAYMENT, NOW) is False
    assert set(events(outbox)) == {"o-1#PaymentCharged#0"}


def test_a_confirmation_that_took_effect_is_recorded_even_after_a_failure_went_out(tables: Any) -> None:
    saga_log, outbox, _inventory = tables
    failure = SagaEvent(saga_id="o-1", name=failed(StepName.CONFIRM_ORDER), context=CONTEXT)
    outbox.emit_failure(failure, saga_log.table_name, StepName.CONFIRM_ORDER, NOW)

    log = OutboxSagaLog(saga_log, outbox, 0, CONTEXT, StepName.CONFIRM_ORDER)

    assert log.record("o-1", SagaState.CONFIRMED, NOW) is True  # the order's fence decided the pivot
    assert set(events(outbox)) == {"o-1#ConfirmOrderFailed#0", "o-1#OrderConfirmed#0"}


def reserve(tables: Any, round_: int = 0) -> tuple[OutboxSagaLog, bool]:
    """ReserveStock's logic, its saga log seen through the outbox as the choreographed inventory service sees it."""
    saga_log, outbox, inventory = tables
    log = OutboxSagaLog(saga_log, outbox, round_, CONTEXT, StepName.RESERVE_STOCK)
    result = reserve_stock(SagaContext.model_validate(CONTEXT), inventory, log, NOW)
    return log, result.transitioned


def test_a_step_takes_effect_with_its_transition_and_its_event_in_one_write(tables: Any) -> None:
    saga_log, outbox, inventory = tables
    calls: list[str] = []
    outbox.client.meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.append(model.name))

    log, transitioned = reserve(tables)

    assert calls == ["BatchGetItem", "TransactWriteItems"]  # the stock's shards read, then one write
    assert transitioned
    assert log.announced == ["StockReserved"]
    assert inventory.get_products(["KB-001"])["KB-001"].available == 4
    assert set(events(outbox)) == {"o-1#StockReserved#0"}
    saga = saga_log.get("o-1")
    assert saga is not None
    assert [t.state for t in saga.history] == [SagaState.STOCK_RESERVED]


def test_a_step_whose_failure_is_out_takes_no_effect_at_all(tables: Any) -> None:
    """Another delivery of ReserveStock failed first and its undo may have run already: this delivery must not
    take the stock (nothing would give it back), not only record nothing."""
    saga_log, outbox, inventory = tables
    failure = SagaEvent(saga_id="o-1", name=failed(StepName.RESERVE_STOCK), context=CONTEXT)
    outbox.emit_failure(failure, saga_log.table_name, StepName.RESERVE_STOCK, NOW)

    with pytest.raises(StepFailedMeanwhile):
        reserve(tables)

    assert inventory.get_products(["KB-001"])["KB-001"].available == 5
    assert inventory.get_reservation("o-1") is None
    assert saga_log.get("o-1") is None
    assert set(events(outbox)) == {"o-1#ReserveStockFailed#0"}


def test_a_step_delivered_again_writes_only_the_event_a_new_round_lacks(tables: Any) -> None:
    _saga_log, outbox, inventory = tables
    reserve(tables)

    again, transitioned = reserve(tables)
    assert not transitioned
    assert again.announced == ["StockReserved"]  # out already: the saga moved on
    assert set(events(outbox)) == {"o-1#StockReserved#0"}

    reserve(tables, round_=1)
    assert set(events(outbox)) == {"o-1#StockReserved#0", "o-1#StockReserved#1"}
    assert inventory.get_products(["KB-001"])["KB-001"].available == 4  # taken once


def test_an_event_carries_the_document_its_step_hands_on(tables: Any) -> None:
    # Given: a checkout request whose items are not priced yet (as a direct StartExecution sends them)
    saga_log, outbox, inventory = tables
    orders = DynamoDBOrders(boto3.resource("dynamodb", region_name="us-east-1").Table("OrdersTable"))
    request = {"orderId": "o-2", "customerId": "c-1", "items": [{"sku": "KB-001", "quantity": 2}], "paymentToken": "t"}

    # When: CreateOrder and ReserveStock run as choreographed steps
    created = create_order(
        CheckoutInput.model_validate(request), inventory, orders, OutboxSagaLog(saga_log, outbox, 0, request), NOW
    )
    handed_on = created.context.to_payload(exclude_none=True)
    reserved = reserve_stock(
        SagaContext.model_validate(handed_on), inventory, OutboxSagaLog(saga_log, outbox, 0, handed_on), NOW
    )

    # Then: each event carries its step's output, as the state machine passes a Task's result on: the priced
    # items and their total, which the request did not have
    announced = events(outbox)
    assert announced["o-2#OrderCreated#0"]["context"] == handed_on
    assert handed_on["items"] == [{"sku": "KB-001", "quantity": 2, "unitPriceCents": 100}]
    assert handed_on["totalCents"] == 200
    assert announced["o-2#StockReserved#0"]["context"] == reserved.context.to_payload(exclude_none=True)
