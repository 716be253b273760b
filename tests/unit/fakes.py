"""In-memory repositories with the same contracts as the DynamoDB ones (dal/interfaces.py), so the logic's
unit tests run without sockets. Each method is atomic, as the conditional writes they stand for are."""

from dataclasses import dataclass, field
from typing import NoReturn

from checkout_saga.dal.interfaces import ANY_MARK, LogAppend, PageKey, ResumedMark
from checkout_saga.errors import OrderAlreadyExists, StockMoved
from checkout_saga.models import (
    FlowContext,
    Order,
    OrderStatus,
    Payment,
    PaymentStatus,
    PricedItem,
    Product,
    Reservation,
    ReservationStatus,
    ReturnRestock,
    SagaFailure,
    SagaRecord,
    SagaState,
    SagaStatus,
    SagaTransition,
    ShardStock,
    ShardTake,
    StockedProduct,
)
from checkout_saga.saga_definition import ends_barring


def _not_faked(what: str) -> NoReturn:
    """The unit tests exercise the checkout steps; the listings and the return steps run against moto
    (tests/api, tests/statemachine)."""
    raise NotImplementedError(f"{what} is not faked: test it against moto")


class FakeOrders:
    def __init__(self) -> None:
        self.items: dict[str, Order] = {}
        self.undo_started: set[str] = set()

    def get(self, order_id: str) -> Order | None:
        return self.items.get(order_id)

    def create(self, order: Order, log: LogAppend | None = None) -> Order:
        stored = self.items.get(order.order_id)
        if stored is None:
            stored = self.items[order.order_id] = order
            _write(log)
        if (stored.customer_id, stored.items) != (order.customer_id, order.items):
            raise OrderAlreadyExists(order.order_id)
        return stored

    def _transition(self, order_id: str, to: OrderStatus, allowed_from: set[OrderStatus], at: str) -> Order | None:
        order = self.items.get(order_id)
        if order is not None and order.status in allowed_from:
            marks = order.compensation_failures + (1 if to is OrderStatus.COMPENSATION_FAILED else 0)
            update = {"status": to, "updated_at": at, "compensation_failures": marks}
            order = self.items[order_id] = order.model_copy(update=update)
        return order

    def mark_compensation_failed(self, order_id: str, at: str, again: bool = False) -> Order | None:
        allowed = {OrderStatus.PENDING, OrderStatus.CONFIRMED} | ({OrderStatus.COMPENSATION_FAILED} if again else set())
        return self._transition(order_id, OrderStatus.COMPENSATION_FAILED, allowed, at)

    def confirm(self, order_id: str, at: str, log: LogAppend | None = None) -> OrderStatus | None:
        order = self.items.get(order_id)
        if order is None:
            return None
        if order_id not in self.undo_started and order.status is OrderStatus.PENDING:
            order = self._transition(order_id, OrderStatus.CONFIRMED, {OrderStatus.PENDING}, at)
            _write(log)
        return order.status if order is not None else None

    def cancel(
        self, order_id: str, at: str, log: LogAppend | None = None, resumes: ResumedMark | None = None
    ) -> OrderStatus | None:
        order = self.items.get(order_id)
        if order is None:
            return None
        named = resumes in (ANY_MARK, order.compensation_failures)
        resumed = order.status is OrderStatus.COMPENSATION_FAILED and named
        if order.status in (OrderStatus.PENDING, OrderStatus.CONFIRMED) or resumed:
            order = self.items[order_id] = order.model_copy(update={"status": OrderStatus.CANCELLED, "updated_at": at})
            _write(log)
        return order.status

    def fence(self, order_id: str, at: str) -> Order | None:
        order = self.items.get(order_id)
        if order is not None and order.status is OrderStatus.PENDING:
            self.undo_started.add(order_id)
        return order

    def list_by_customer(
        self, customer_id: str, limit: int, exclusive_start_key: PageKey | None = None
    ) -> tuple[list[Order], PageKey | None]:
        _not_faked("OrdersRepository.list_by_customer")


class FakeInventory:
    def __init__(self, products: list[Product] | None = None) -> None:
        self.products = {product.sku: product for product in products or []}
        self.reservations: dict[str, Reservation] = {}

    def get_products(self, skus: list[str]) -> dict[str, Product]:
        return {sku: self.products[sku] for sku in skus if sku in self.products}

    def put_product(self, product: Product) -> Product:
        self.products[product.sku] = product
        return product

    def get_reservation(self, order_id: str) -> Reservation | None:
        return self.reservations.get(order_id)

    def shard_stock(self, skus: list[str]) -> dict[str, ShardStock]:
        """One shard per product: the fake keeps a product's units in one number."""
        return {
            sku: ShardStock(sku=sku, shards=1, available=[self.products[sku].available])
            for sku in skus
            if sku in self.products
        }

    def reserve(
        self, order_id: str, items: list[PricedItem], takes: list[ShardTake], log: LogAppend | None = None
    ) -> Reservation:
        if order_id in self.reservations:
            return self.reservations[order_id]
        for take in takes:
            product = self.products.get(take.sku)
            if product is None or take.shard != 0 or product.available < take.quantity:
                raise StockMoved(take.sku)
        for take in takes:
            product = self.products[take.sku]
            self.products[take.sku] = product.model_copy(update={"available": product.available - take.quantity})
        reservation = self.reservations[order_id] = Reservation(
            order_id=order_id, status=ReservationStatus.RESERVED, items=items, takes=takes
        )
        _write(log)
        return reservation

    def release(self, order_id: str, log: LogAppend | None = None) -> Reservation:
        reservation = self.reservations.get(order_id)
        if reservation is None or reservation.status is ReservationStatus.RESERVED:
            _write(log)
        if reservation is None:
            reservation = Reservation(order_id=order_id, status=ReservationStatus.RELEASED)
        elif reservation.status is ReservationStatus.RESERVED:
            for item in reservation.items:
                product = self.products[item.sku]
                self.products[item.sku] = product.model_copy(update={"available": product.available + item.quantity})
            reservation = reservation.model_copy(update={"status": ReservationStatus.RELEASED})
        self.reservations[order_id] = reservation
        return reservation

    def get_stocked(self, sku: str) -> StockedProduct | None:
        _not_faked("InventoryRepository.get_stocked")

    def set_product(
        self, product: Product, expected_version: int | None, split: list[int] | None = None
    ) -> StockedProduct | None:
        _not_faked("InventoryRepository.set_product")

    def restock(self, sku: str, amounts: list[int]) -> StockedProduct | None:
        _not_faked("InventoryRepository.restock")

    def list_products(
        self, limit: int, exclusive_start_key: PageKey | None = None
    ) -> tuple[list[StockedProduct], PageKey | None]:
        _not_faked("InventoryRepository.list_products")

    def restock_return(self, return_id: str, items: list[PricedItem]) -> ReturnRestock:
        _not_faked("InventoryRepository.restock_return")

    def unstock_return(self, return_id: str) -> ReturnRestock:
        _not_faked("InventoryRepository.unstock_return")


class FakePayments:
    def __init__(self) -> None:
        self.items: dict[str, Payment] = {}

    def get(self, order_id: str) -> Payment | None:
        return self.items.get(order_id)

    def attempt(self, order_id: str) -> Payment:
        payment = self.items.get(order_id) or Payment(order_id=order_id)
        if payment.status is None:
            payment = self.items[order_id] = payment.model_copy(update={"attempts": payment.attempts + 1})
        return payment

    def settle(
        self,
        order_id: str,
        status: PaymentStatus,
        amount_cents: int,
        decline_reason: str | None,
        log: LogAppend | None = None,
    ) -> Payment:
        payment = self.items.get(order_id) or Payment(order_id=order_id)
        if payment.status is None:
            payment = self.items[order_id] = payment.model_copy(
                update={"status": status, "amount_cents": amount_cents, "decline_reason": decline_reason}
            )
            _write(log)
        return payment

    def refund(self, order_id: str, log: LogAppend | None = None) -> Payment:
        payment = self.items.get(order_id) or Payment(order_id=order_id)
        if payment.status in (None, PaymentStatus.CAPTURED):
            _write(log)
        if payment.status is None:
            payment = payment.model_copy(update={"status": PaymentStatus.VOIDED})
        elif payment.status is PaymentStatus.CAPTURED:
            payment = payment.model_copy(update={"status": PaymentStatus.REFUNDED})
        self.items[order_id] = payment
        return payment

    def refund_return(self, order_id: str, return_id: str, cents: int) -> Payment:
        _not_faked("PaymentsRepository.refund_return")

    def void_return_refund(self, order_id: str, return_id: str, cents: int) -> Payment:
        _not_faked("PaymentsRepository.void_return_refund")


class FakeSagaLog:
    def __init__(self) -> None:
        self.items: dict[str, SagaRecord] = {}

    def get(self, saga_id: str) -> SagaRecord | None:
        return self.items.get(saga_id)

    def _ensure(self, saga_id: str, at: str) -> SagaRecord:
        return self.items.get(saga_id) or SagaRecord(
            saga_id=saga_id, status=OrderStatus.PENDING, state=SagaState.STARTED, started_at=at, updated_at=at
        )

    def record(
        self,
        saga_id: str,
        state: SagaState,
        at: str,
        status: SagaStatus | None = None,
        customer_id: str | None = None,
        opens_with: SagaState | None = None,
        *,
        document: FlowContext | None = None,
    ) -> bool:
        record = self._ensure(saga_id, at)
        barred = {state, *ends_barring(state)}  # as the DynamoDB saga log's condition (docs/adr/0009)
        if any(transition.state in barred for transition in record.history):
            return False
        if state is SagaState.STARTED and record.history:  # as the DynamoDB saga log: STARTED opens a log
            return False
        opening = [SagaTransition(state=opens_with, at=at)] if opens_with and saga_id not in self.items else []
        self.items[saga_id] = record.model_copy(
            update={
                "state": state,
                "status": status or record.status,
                "updated_at": at,
                "customer_id": record.customer_id or customer_id,
                "history": [*opening, *record.history, SagaTransition(state=state, at=at)],
            }
        )
        return True

    def pending(
        self,
        saga_id: str,
        state: SagaState,
        at: str,
        status: SagaStatus | None = None,
        customer_id: str | None = None,
        opens_with: SagaState | None = None,
        *,
        document: FlowContext | None = None,
    ) -> LogAppend:
        return FakeLogAppend(saga_id, state, at, status, customer_id, opens_with, document=document, saga_log=self)

    def record_failure(
        self, saga_id: str, failure: SagaFailure, at: str, compensation: bool = False, customer_id: str | None = None
    ) -> bool:
        record = self._ensure(saga_id, at)
        field = "compensation_failure" if compensation else "failure"
        if getattr(record, field) is not None:
            return False
        customer = record.customer_id or customer_id
        self.items[saga_id] = record.model_copy(update={field: failure, f"{field}_at": at, "customer_id": customer})
        return True

    def list_by_status(
        self, status: SagaStatus, limit: int, exclusive_start_key: PageKey | None = None
    ) -> tuple[list[SagaRecord], PageKey | None]:
        _not_faked("SagaLogRepository.list_by_status")

    def states(self, saga_id: str) -> list[str]:
        return [transition.state.value for transition in self.items[saga_id].history]


@dataclass
class FakeLogAppend(LogAppend):
    saga_log: FakeSagaLog | None = field(default=None, repr=False)

    def write(self) -> None:
        assert self.saga_log is not None
        self.appended = self.saga_log.record(
            self.saga_id, self.state, self.at, self.status, self.customer_id, opens_with=self.opens_with
        )


def _write(log: LogAppend | None) -> None:
    """The effect was written: so is its log append, in the same atomic operation."""
    if log is not None:
        assert isinstance(log, FakeLogAppend), "the fakes write the fake saga log's appends only"
        log.write()
