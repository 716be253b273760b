import pytest

from checkout_saga.models import Product
from tests.unit.fakes import FakeInventory, FakeOrders, FakePayments, FakeSagaLog

NOW = "2026-11-22T10:00:00.000Z"


@pytest.fixture
def inventory() -> FakeInventory:
    return FakeInventory(
        [
            Product(sku="KB-001", name="Keyboard", unit_price_cents=4999, available=10),
            Product(sku="MS-001", name="Mouse", unit_price_cents=1999, available=1),
            Product(sku="CB-001", name="Cable", unit_price_cents=499, available=100),
        ]
    )


@pytest.fixture
def orders() -> FakeOrders:
    return FakeOrders()


@pytest.fixture
def payments() -> FakePayments:
    return FakePayments()


@pytest.fixture
def saga_log() -> FakeSagaLog:
    return FakeSagaLog()
