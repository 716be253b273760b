"""GET /orders/{id} assembled from three records written at different moments: never a torn view."""

from checkout_saga.logic.order_view import view_order
from checkout_saga.models import Order, OrderStatus, PricedItem, SagaState
from tests.unit.conftest import NOW


def test_a_confirmed_order_is_shown_confirmed_only_once_its_history_says_so(orders, payments, saga_log):
    items = [PricedItem(sku="KB-001", quantity=1, unit_price_cents=100)]
    orders.create(
        Order(
            order_id="o-1",
            customer_id="c",
            status=OrderStatus.PENDING,
            items=items,
            total_cents=100,
            created_at=NOW,
            updated_at=NOW,
        )
    )
    for state in (SagaState.STARTED, SagaState.ORDER_CREATED, SagaState.STOCK_RESERVED, SagaState.PAYMENT_CHARGED):
        saga_log.record("o-1", state, NOW)
    # ConfirmOrder has updated the order, not yet the saga log:
    orders.transition("o-1", OrderStatus.CONFIRMED, frozenset({OrderStatus.PENDING}), NOW)

    torn = view_order("o-1", orders, payments, saga_log)
    assert (torn.status, torn.saga.state) == (OrderStatus.PENDING, SagaState.PAYMENT_CHARGED)

    saga_log.record("o-1", SagaState.CONFIRMED, NOW, status=OrderStatus.CONFIRMED)
    done = view_order("o-1", orders, payments, saga_log)
    assert (done.status, done.saga.state) == (OrderStatus.CONFIRMED, SagaState.CONFIRMED)
