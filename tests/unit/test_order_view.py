"""GET /orders/{id} assembled from three records written at different moments: never a torn view."""

from checkout_saga.dal.interfaces import OrderRecords
from checkout_saga.handlers.api_routes.views import view_order
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
    assert orders.confirm("o-1", NOW) is OrderStatus.CONFIRMED

    # Whichever record is read first, the status comes with the history that justifies it.
    torn = view_order("o-1", OrderRecords(orders.get("o-1"), payments.get("o-1"), saga_log.get("o-1")))
    assert (torn.status, torn.saga.state) == (OrderStatus.PENDING, SagaState.PAYMENT_CHARGED)

    saga_log.record("o-1", SagaState.CONFIRMED, NOW, status=OrderStatus.CONFIRMED)
    done = view_order("o-1", OrderRecords(orders.get("o-1"), payments.get("o-1"), saga_log.get("o-1")))
    assert (done.status, done.saga.state) == (OrderStatus.CONFIRMED, SagaState.CONFIRMED)


def test_neither_an_order_nor_a_saga_is_no_view():
    assert view_order("o-9", OrderRecords(None, None, None)) is None
