import pytest

from checkout_saga.errors import OrderAlreadyExists, SagaAlreadyCompensated, UnknownOrder, UnknownProduct
from checkout_saga.logic.orders import cancel_order, confirm_order, create_order, mark_compensation_failed
from checkout_saga.models import CheckoutInput, OrderStatus, SagaContext, StepFailure, StepName
from tests.unit.conftest import NOW


def checkout(**overrides: object) -> CheckoutInput:
    document = {
        "orderId": "o-1",
        "customerId": "c-42",
        "items": [{"sku": "KB-001", "quantity": 2}, {"sku": "CB-001", "quantity": 1, "unitPriceCents": 450}],
        "paymentToken": "tok_visa",
    }
    return CheckoutInput.model_validate({**document, **overrides})


def test_create_order_prices_from_the_catalog_but_keeps_prices_already_fixed(inventory, orders, saga_log):
    result = create_order(checkout(), inventory, orders, saga_log, NOW)

    order = orders.get("o-1")
    assert order is not None
    assert order.status is OrderStatus.PENDING
    assert [(item.sku, item.unit_price_cents) for item in order.items] == [("KB-001", 4999), ("CB-001", 450)]
    assert order.total_cents == result.context.total_cents == 2 * 4999 + 450
    assert result.transitioned
    assert saga_log.states("o-1") == ["STARTED", "ORDER_CREATED"]


def test_create_order_twice_changes_nothing_the_second_time(inventory, orders, saga_log):
    first = create_order(checkout(), inventory, orders, saga_log, NOW)
    second = create_order(checkout(), inventory, orders, saga_log, "2026-11-22T10:00:05.000Z")

    assert second.context == first.context
    assert not second.transitioned
    assert saga_log.states("o-1") == ["STARTED", "ORDER_CREATED"]
    assert orders.get("o-1").created_at == NOW


def test_create_order_with_an_unknown_sku_stores_no_order(inventory, orders, saga_log):
    with pytest.raises(UnknownProduct, match="NOPE-1"):
        create_order(checkout(items=[{"sku": "NOPE-1", "quantity": 1}]), inventory, orders, saga_log, NOW)
    assert orders.get("o-1") is None


def test_create_order_refuses_an_id_taken_by_another_order(inventory, orders, saga_log):
    create_order(checkout(), inventory, orders, saga_log, NOW)
    with pytest.raises(OrderAlreadyExists):
        create_order(checkout(customerId="someone-else"), inventory, orders, saga_log, NOW)
    assert orders.get("o-1").customer_id == "c-42"


def test_a_late_create_order_after_cancellation_raises_and_changes_nothing(inventory, orders, saga_log):
    result = create_order(checkout(), inventory, orders, saga_log, NOW)
    cancel_order(result.context, orders, saga_log, NOW)
    with pytest.raises(SagaAlreadyCompensated):
        create_order(checkout(), inventory, orders, saga_log, NOW)
    assert orders.get("o-1").status is OrderStatus.CANCELLED


def test_confirm_is_idempotent_and_refuses_a_cancelled_order(inventory, orders, saga_log):
    context = create_order(checkout(), inventory, orders, saga_log, NOW).context
    assert confirm_order(context, orders, saga_log, NOW).transitioned
    assert not confirm_order(context, orders, saga_log, NOW).transitioned
    assert orders.get("o-1").status is OrderStatus.CONFIRMED
    assert saga_log.get("o-1").status is OrderStatus.CONFIRMED

    other = create_order(checkout(orderId="o-2"), inventory, orders, saga_log, NOW).context
    cancel_order(other, orders, saga_log, NOW)
    with pytest.raises(SagaAlreadyCompensated):
        confirm_order(other, orders, saga_log, NOW)
    assert orders.get("o-2").status is OrderStatus.CANCELLED


def test_confirm_of_an_unknown_order_is_an_error(orders, saga_log):
    with pytest.raises(UnknownOrder):
        confirm_order(SagaContext(order_id="missing"), orders, saga_log, NOW)


def test_cancel_without_a_stored_order_keeps_a_cancelled_record(orders, saga_log):
    context = SagaContext.model_validate(
        {"orderId": "o-9", "customerId": "c-1", "items": [{"sku": "NOPE-1", "quantity": 3}]}
    )
    result = cancel_order(context, orders, saga_log, NOW)

    assert result.transitioned
    order = orders.get("o-9")
    assert order.status is OrderStatus.CANCELLED
    assert order.total_cents == 0
    assert saga_log.get("o-9").status is OrderStatus.CANCELLED


def test_mark_compensation_failed_keeps_which_undo_failed(inventory, orders, saga_log):
    context = create_order(checkout(), inventory, orders, saga_log, NOW).context
    failed = context.model_copy(
        update={
            "failed_compensation": StepName.RELEASE_STOCK,
            "compensation_failure": StepFailure(Error="InjectedFailure", Cause='{"errorMessage": "boom"}'),
        }
    )
    assert mark_compensation_failed(failed, orders, saga_log, NOW).transitioned
    assert not mark_compensation_failed(failed, orders, saga_log, NOW).transitioned

    assert orders.get("o-1").status is OrderStatus.COMPENSATION_FAILED
    record = saga_log.get("o-1")
    assert record.status is OrderStatus.COMPENSATION_FAILED
    assert record.compensation_failure.model_dump() == {
        "step": "ReleaseStock",
        "error": "InjectedFailure",
        "cause": "boom",
    }
