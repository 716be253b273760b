"""POST /checkout: price the items from the catalog, start the saga under a new order id, log it STARTED.

The state machine is started before the log is written: a start that fails leaves nothing behind, and the
saga cannot be lost either, since CreateOrder logs STARTED too if it comes first. SagaStarted is counted by
CreateOrder, once per saga, when it stores the order."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from checkout_saga.dal.interfaces import InventoryRepository, SagaLogRepository, SagaStarter
from checkout_saga.errors import UnknownProduct
from checkout_saga.models import CheckoutInput, LineItem, SagaState


class UnknownSkus(UnknownProduct):
    def __init__(self, positions: dict[int, str]) -> None:
        """`positions`: index in the request's items -> the sku the catalog does not know."""
        self.positions = positions
        super().__init__(f"unknown sku: {', '.join(positions.values())}")


@dataclass(frozen=True)
class CheckoutStarted:
    order_id: str
    execution_arn: str
    logged_start: bool  # this call wrote the saga's STARTED transition (else CreateOrder was first)


def new_order_id() -> str:
    return uuid.uuid4().hex


def start_checkout(
    customer_id: str,
    wanted: list[LineItem],
    payment_token: str,
    catalog: InventoryRepository,
    saga_log: SagaLogRepository,
    starter: SagaStarter,
    now: str,
    order_id_factory: Callable[[], str] = new_order_id,
    seal: Callable[[str, str], str] | None = None,
) -> CheckoutStarted:
    """`seal(order_id, token)`: the payment token as the saga carries it (the API seals it with KMS, so that
    no execution history holds it); None: the token as given."""
    products = catalog.get_products([item.sku for item in wanted])
    unknown = {index: item.sku for index, item in enumerate(wanted) if item.sku not in products}
    if unknown:
        raise UnknownSkus(unknown)
    order_id = order_id_factory()
    saga_input = CheckoutInput(
        order_id=order_id,
        customer_id=customer_id,
        items=[
            LineItem(sku=item.sku, quantity=item.quantity, unit_price_cents=products[item.sku].unit_price_cents)
            for item in wanted
        ],
        payment_token=None if seal else payment_token,
        sealed_payment_token=seal(order_id, payment_token) if seal else None,
    )
    execution = starter.start(order_id, saga_input.model_dump(mode="json", by_alias=True, exclude_none=True))
    logged = saga_log.record(order_id, SagaState.STARTED, now, customer_id=customer_id)
    return CheckoutStarted(order_id, execution, logged)
