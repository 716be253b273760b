"""What the saga logic needs from storage. Each method is one atomic, idempotent operation: the
DynamoDB implementations use conditional writes, the unit tests use in-memory fakes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from checkout_saga.models import (
    Order,
    OrderStatus,
    Payment,
    PaymentStatus,
    PricedItem,
    Product,
    Reservation,
    SagaFailureRecord,
    SagaRecord,
    SagaState,
)

PageKey = dict[str, str]  # where a page of a listing ended, as the storage gave it


class OrdersRepository(Protocol):
    def get(self, order_id: str) -> Order | None: ...

    def create(self, order: Order) -> Order:
        """Store `order` unless its id exists; return what is stored under that id afterwards."""
        ...

    def transition(self, order_id: str, to: OrderStatus, allowed_from: frozenset[OrderStatus], at: str) -> Order | None:
        """Set the status if the current one is in `allowed_from`; return the order as it is afterwards, None if
        there is no such order. An order already in `to` is left untouched (a step delivered twice writes nothing)."""
        ...

    def confirm(self, order_id: str, at: str) -> Order | None:
        """PENDING -> CONFIRMED unless an undo has begun (stop_confirmation); return the order as it is
        afterwards, None if there is no such order."""
        ...

    def stop_confirmation(self, order_id: str, at: str) -> Order | None:
        """An undo begins: a PENDING order can no longer be confirmed, even by a ConfirmOrder still in flight.
        Return the order as it is, None if there is no such order."""
        ...


class InventoryRepository(Protocol):
    def get_products(self, skus: list[str]) -> dict[str, Product]: ...

    def put_product(self, product: Product) -> Product: ...

    def get_reservation(self, order_id: str) -> Reservation | None: ...

    def reserve(self, order_id: str, items: list[PricedItem]) -> Reservation:
        """All or nothing: take every item's quantity and record the reservation in one transaction.
        Returns the existing reservation if the order already has one (RESERVED or RELEASED).
        Raises OutOfStock or UnknownProduct, having changed nothing."""
        ...

    def release(self, order_id: str) -> Reservation:
        """Give a RESERVED reservation's stock back and mark it RELEASED, atomically. With no reservation,
        record a RELEASED one so that a late reserve cannot take stock any more."""
        ...


class PaymentsRepository(Protocol):
    def get(self, order_id: str) -> Payment | None: ...

    def count_attempt(self, order_id: str) -> int:
        """Count one more charge attempt; return the count including this one."""
        ...

    def settle(self, order_id: str, status: PaymentStatus, amount_cents: int, decline_reason: str | None) -> Payment:
        """Record the outcome of the first attempt that got one (CAPTURED or DECLINED); return what is stored."""
        ...

    def refund(self, order_id: str) -> Payment:
        """CAPTURED -> REFUNDED; no outcome yet -> VOIDED (no capture may follow); otherwise unchanged."""
        ...


class SagaLogRepository(Protocol):
    def get(self, saga_id: str) -> SagaRecord | None: ...

    def record(
        self,
        saga_id: str,
        state: SagaState,
        at: str,
        status: OrderStatus | None = None,
        customer_id: str | None = None,
    ) -> bool:
        """Append `state` to the saga's history unless it is there already; True if it was appended."""
        ...

    def record_failure(self, saga_id: str, failure: SagaFailureRecord, at: str, compensation: bool = False) -> bool:
        """Keep the first failure of its kind (forward or compensation); True if this one was kept."""
        ...

    def list_by_status(
        self, status: OrderStatus, limit: int, exclusive_start_key: PageKey | None = None
    ) -> tuple[list[SagaRecord], PageKey | None]:
        """Up to `limit` sagas in `status`, newest first (by startedAt), from an index (never a full scan);
        the key to continue from, None when there are no more."""
        ...


@dataclass(frozen=True)
class OrderRecords:
    """What is stored about one order in the three tables that describe it (each None if not there yet)."""

    order: Order | None
    payment: Payment | None
    saga: SagaRecord | None


class OrderRecordsReader(Protocol):
    def read(self, order_id: str) -> OrderRecords:
        """The order, its payment and its saga log in one round trip (strongly consistent reads)."""
        ...


class TokenVault(Protocol):
    def seal(self, order_id: str, token: str) -> str:
        """The payment token in a form that only the vault opens, and only for this order."""
        ...

    def open(self, order_id: str, sealed: str) -> str:
        """The token `seal` sealed for this order; raises SealedTokenUnreadable otherwise."""
        ...


class SagaStarter(Protocol):
    def start(self, name: str, saga_input: Mapping[str, object]) -> str:
        """Start the saga's execution called `name`; return its id (ARN). Starting a name that was already
        started does not run the saga again and returns that execution's id."""
        ...
