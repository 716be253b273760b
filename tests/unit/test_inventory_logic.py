import pytest

from checkout_saga.errors import OutOfStock, SagaAlreadyCompensated
from checkout_saga.logic.inventory import release_stock, reserve_stock
from checkout_saga.models import ReservationStatus, SagaContext
from tests.unit.conftest import NOW


def context(*items: tuple[str, int], order_id: str = "o-1") -> SagaContext:
    return SagaContext.model_validate(
        {"orderId": order_id, "items": [{"sku": sku, "quantity": qty, "unitPriceCents": 100} for sku, qty in items]}
    )


def available(inventory) -> dict[str, int]:
    return {sku: product.available for sku, product in inventory.products.items()}


def test_reserve_takes_every_item_once_even_when_delivered_twice(inventory, saga_log):
    order = context(("KB-001", 2), ("CB-001", 5))
    assert reserve_stock(order, inventory, saga_log, NOW).transitioned
    assert not reserve_stock(order, inventory, saga_log, NOW).transitioned

    assert available(inventory) == {"KB-001": 8, "MS-001": 1, "CB-001": 95}
    assert saga_log.states("o-1") == ["STOCK_RESERVED"]


def test_out_of_stock_on_the_second_of_three_items_takes_nothing(inventory, saga_log):
    with pytest.raises(OutOfStock):
        reserve_stock(context(("KB-001", 2), ("MS-001", 2), ("CB-001", 1)), inventory, saga_log, NOW)
    assert available(inventory) == {"KB-001": 10, "MS-001": 1, "CB-001": 100}
    assert "o-1" not in inventory.reservations


def test_release_gives_back_exactly_what_was_taken_once(inventory, saga_log):
    order = context(("KB-001", 3))
    reserve_stock(order, inventory, saga_log, NOW)
    release_stock(order, inventory, saga_log, NOW)
    release_stock(order, inventory, saga_log, NOW)

    assert available(inventory)["KB-001"] == 10
    assert saga_log.states("o-1") == ["STOCK_RESERVED", "STOCK_RELEASED"]


def test_release_before_any_reservation_blocks_a_late_reserve(inventory, saga_log):
    order = context(("KB-001", 3))
    release_stock(order, inventory, saga_log, NOW)
    assert inventory.reservations["o-1"].status is ReservationStatus.RELEASED

    with pytest.raises(SagaAlreadyCompensated):
        reserve_stock(order, inventory, saga_log, NOW)
    assert available(inventory)["KB-001"] == 10
