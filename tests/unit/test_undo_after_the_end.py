"""An undo that comes after its saga ended (docs/adr/0009-a-saga-that-ended-records-nothing-more.md), on moto's
DynamoDB with the template's tables: it still leaves its effect (a tombstone, so that a late forward step takes
nothing), but its transition is not appended after the saga log's end. The simulator's seed 63: an operator's
forced undo whose RefundPayment and ReleaseStock run after the execution's own CancelOrder ended the saga."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from checkout_saga.dal.dynamodb_inventory import DynamoDBInventory
from checkout_saga.dal.dynamodb_orders import DynamoDBOrders
from checkout_saga.dal.dynamodb_payments import DynamoDBPayments
from checkout_saga.dal.dynamodb_saga_log import DynamoDBSagaLog
from checkout_saga.logic.compensation import fence_order
from checkout_saga.logic.inventory import release_stock
from checkout_saga.logic.orders import cancel_order, create_order, mark_compensation_failed
from checkout_saga.logic.payments import refund_payment
from checkout_saga.models import (
    CheckoutInput,
    OrderStatus,
    PaymentStatus,
    ReservationStatus,
    SagaContext,
    StepFailure,
    StepName,
)
from tests.support.template_tables import create_tables

NOW, LATER = "2026-12-06T04:00:00.000Z", "2026-12-06T04:00:05.000Z"


@dataclass(frozen=True)
class Stores:
    orders: DynamoDBOrders
    inventory: DynamoDBInventory
    payments: DynamoDBPayments
    saga_log: DynamoDBSagaLog

    def history(self, order_id: str) -> list[str]:
        saga = self.saga_log.get(order_id)
        assert saga is not None
        return [transition.state.value for transition in saga.history]


@pytest.fixture
def stores() -> Iterator[Stores]:
    with mock_aws():
        names = create_tables(boto3.client("dynamodb", region_name="us-east-1"))
        dynamodb = boto3.resource("dynamodb", region_name="us-east-1")
        tables: dict[str, Any] = {logical_id: dynamodb.Table(name) for logical_id, name in names.items()}
        yield Stores(
            DynamoDBOrders(tables["OrdersTable"]),
            DynamoDBInventory(tables["InventoryTable"]),
            DynamoDBPayments(tables["PaymentsTable"]),
            DynamoDBSagaLog(tables["SagaLogTable"]),
        )


def created(stores: Stores, order_id: str) -> SagaContext:
    """CreateOrder took effect (priced by the API: no catalog read), and nothing after it did."""
    request = CheckoutInput.model_validate(
        {
            "orderId": order_id,
            "customerId": "c-1",
            "items": [{"sku": "KB-001", "quantity": 1, "unitPriceCents": 4999}],
            "paymentToken": "tok_visa",
        }
    )
    context = create_order(request, stores.inventory, stores.orders, stores.saga_log, NOW).context
    assert isinstance(context, SagaContext)
    return context


def forced_undo(context: SagaContext, stores: Stores) -> list[bool]:
    """The forced compensation's execution (resumeCompensation) up to CancelOrder: whether each step recorded."""
    resumed = SagaContext.model_validate({"orderId": context.order_id, "resumeCompensation": True})
    fence_order(resumed, stores.orders, LATER)
    return [
        refund_payment(resumed, stores.payments, stores.saga_log, LATER).transitioned,
        release_stock(resumed, stores.inventory, stores.saga_log, LATER).transitioned,
    ]


def test_an_undo_after_the_saga_was_cancelled_leaves_its_tombstones_and_records_nothing(stores: Stores) -> None:
    context = created(stores, "o-63")
    cancel_order(context, stores.orders, stores.saga_log, NOW)  # the execution's own CancelOrder ends the saga

    assert forced_undo(context, stores) == [False, False]

    assert stores.history("o-63") == ["STARTED", "ORDER_CREATED", "CANCELLED"]
    saga = stores.saga_log.get("o-63")
    assert saga is not None
    assert saga.status is OrderStatus.CANCELLED
    order = stores.orders.get("o-63")
    assert order is not None
    assert order.status is OrderStatus.CANCELLED
    payment = stores.payments.get("o-63")  # voided: a ChargePayment still in flight can no longer capture
    assert payment is not None
    assert payment.status is PaymentStatus.VOIDED
    reservation = stores.inventory.get_reservation("o-63")  # released: a late ReserveStock takes nothing
    assert reservation is not None
    assert reservation.status is ReservationStatus.RELEASED


def test_the_resume_of_an_undo_given_up_still_records_its_way_to_cancelled(stores: Stores) -> None:
    """COMPENSATION_FAILED is not an end here: only the resume finishes the undo, and it says so in the log."""
    context = created(stores, "o-64")
    given_up = context.model_copy(
        update={
            "failed_compensation": StepName.CANCEL_ORDER,
            "compensation_failure": StepFailure(Error="InjectedFailure", Cause='{"errorMessage": "boom"}'),
        }
    )
    mark_compensation_failed(given_up, stores.orders, stores.saga_log, NOW)

    assert forced_undo(context, stores) == [True, True]
    resumed = SagaContext.model_validate({"orderId": "o-64", "resumeCompensation": True})
    assert cancel_order(resumed, stores.orders, stores.saga_log, LATER).transitioned

    assert stores.history("o-64") == [
        "STARTED",
        "ORDER_CREATED",
        "COMPENSATION_FAILED",
        "PAYMENT_REFUNDED",
        "STOCK_RELEASED",
        "CANCELLED",
    ]
    order = stores.orders.get("o-64")
    assert order is not None
    assert order.status is OrderStatus.CANCELLED
