"""A hot product's stock split over shards, through the real state machine: a checkout takes its units from the
shards, a declined card gives each unit back to the shard it came from, and the total is exact throughout."""

from checkout_saga.logic.catalog import stocktake
from checkout_saga.models import OrderStatus, PaymentStatus, Product
from saga_client.histories import scheduled
from tests.statemachine.test_saga_paths import FORWARD, UNDO_ALL, checkout, run
from tests.support.stack import Stack


def _sharded(stack: Stack, sku: str, available: int, shards: int) -> None:
    product = Product(sku=sku, name="Hot", unit_price_cents=1000, available=available, shards=shards)
    stocktake(product, None, stack.inventory)


def _shards(stack: Stack, sku: str) -> list[int]:
    return stack.inventory.shard_stock([sku])[sku].available


def test_a_sharded_checkout_takes_from_several_shards_and_an_undo_gives_each_unit_back(stack):
    sku = "HOT-SM-1"
    _sharded(stack, sku, available=6, shards=4)  # 2, 2, 1, 1
    confirmed = checkout([sku], quantity=5)

    execution, states = run(stack, confirmed)

    assert (execution["status"], states) == ("SUCCEEDED", FORWARD)
    assert stack.available(sku) == {sku: 1}
    reservation = stack.inventory.get_reservation(confirmed["orderId"])
    assert reservation is not None
    assert sum(take.quantity for take in reservation.takes) == 5
    assert len({take.shard for take in reservation.takes}) >= 3  # no shard holds more than 2
    before_decline = _shards(stack, sku)

    declined = checkout([sku], token="tok_declined", quantity=1)
    execution, states = run(stack, declined)

    assert execution["status"] == "FAILED"
    assert states == ["StartOrResume", "CreateOrder", "ReserveStock", "ChargePayment", "ChargePaymentFailed", *UNDO_ALL]
    assert _shards(stack, sku) == before_decline  # the unit is back in the shard it was taken from
    assert stack.available(sku) == {sku: 1}
    assert stack.payments.get(declined["orderId"]).status is PaymentStatus.DECLINED
    assert stack.orders.get(declined["orderId"]).status is OrderStatus.CANCELLED


def test_a_sharded_product_is_out_of_stock_only_when_every_shard_together_is_short(stack):
    sku = "HOT-SM-2"
    _sharded(stack, sku, available=3, shards=3)  # 1 in each shard: no single shard could take 2

    two, _ = run(stack, checkout([sku], quantity=2))
    two_more, states = run(stack, checkout([sku], quantity=2))

    assert two["status"] == "SUCCEEDED"
    assert two_more["status"] == "FAILED"
    assert states[:3] == ["StartOrResume", "CreateOrder", "ReserveStock"]
    assert stack.available(sku) == {sku: 1}
    assert sorted(_shards(stack, sku)) == [0, 0, 1]


def test_reserve_delivered_again_after_the_last_unit_sold_keeps_its_reservation(stack):
    """The duplicate finds every shard empty: the plan says out of stock, but the order holds its units already."""
    sku = "HOT-SM-3"
    _sharded(stack, sku, available=2, shards=2)
    document = checkout([sku], quantity=2)
    arn = stack.start(document, name=document["orderId"])
    assert stack.wait(arn)["status"] == "SUCCEEDED"
    [reserve] = [step for step in scheduled(stack.history(arn)) if step.state == "ReserveStock"]

    answer = stack.client("lambda").invoke(FunctionName=reserve.resource, Payload=reserve.input.encode())

    assert "FunctionError" not in answer
    assert _shards(stack, sku) == [0, 0]
    assert stack.orders.get(document["orderId"]).status is OrderStatus.CONFIRMED
    reservation = stack.inventory.get_reservation(document["orderId"])
    assert reservation is not None
    assert sum(take.quantity for take in reservation.takes) == 2
