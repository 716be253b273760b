"""What the saga logic needs from storage. Each method is one atomic, idempotent operation: the
DynamoDB implementations use conditional writes, the unit tests use in-memory fakes.

A step's effect and its saga-log transition are written in one request: the logic asks the saga log for a
`LogAppend` and hands it to the repository method that writes the effect (a `log=` argument), which writes
both or neither (DynamoDB: one TransactWriteItems) and sets `appended`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, Literal, Protocol

from checkout_saga.models import (
    FlowContext,
    Order,
    OrderStatus,
    Payment,
    PaymentStatus,
    PricedItem,
    Product,
    ProjectionChange,
    Reservation,
    ReturnRecord,
    ReturnRestock,
    SagaFailure,
    SagaProjection,
    SagaRecord,
    SagaState,
    SagaStatus,
    ShardStock,
    ShardTake,
    StockedProduct,
)

PageKey = dict[str, Any]  # where a page of a listing ended, as the storage gave it (opaque to the logic)
# The COMPENSATION_FAILED mark an undo may end (docs/adr/0012): the count its resume named, or, for a resume started
# by hand that named none, whichever mark is stored.
ANY_MARK: Final = "any"
ResumedMark = int | Literal["any"]


@dataclass
class LogAppend:
    """A saga-log transition to be written with a step's effect, in the same request, and only with it.
    `appended` is set by the repository that writes the effect: False when the effect was not written (it had
    been, or it was refused); the logic then records the transition alone if it still has to."""

    saga_id: str
    state: SagaState
    at: str
    status: SagaStatus | None = None
    customer_id: str | None = None
    opens_with: SagaState | None = None  # put first in a history that does not exist yet (CreateOrder: STARTED)
    appended: bool = False
    document: FlowContext | None = None  # what the step hands on: a choreographed transition's event carries it


class OrdersRepository(Protocol):
    def get(self, order_id: str) -> Order | None: ...

    def create(self, order: Order, log: LogAppend | None = None) -> Order:
        """Store `order` unless its id exists; return what is stored under that id afterwards."""
        ...

    def mark_compensation_failed(self, order_id: str, at: str, again: bool = False) -> Order | None:
        """PENDING or CONFIRMED -> COMPENSATION_FAILED (and COMPENSATION_FAILED again when `again`: a resume given up
        in its turn), counting the mark in `compensationFailures`; the order as it is afterwards, None if there is
        no such order."""
        ...

    def confirm(self, order_id: str, at: str, log: LogAppend | None = None) -> OrderStatus | None:
        """PENDING -> CONFIRMED unless the order is fenced; return the order's status afterwards, None if there is
        no such order."""
        ...

    def cancel(
        self, order_id: str, at: str, log: LogAppend | None = None, resumes: ResumedMark | None = None
    ) -> OrderStatus | None:
        """PENDING or CONFIRMED -> CANCELLED, and COMPENSATION_FAILED too when the undo is a resume of that mark
        (`resumes`: the order's compensationFailures when the resume started); the order's status afterwards, None
        if there is no such order."""
        ...

    def fence(self, order_id: str, at: str) -> Order | None:
        """Fence the order (its undo begins): a PENDING order can no longer be confirmed, even by a ConfirmOrder
        still in flight.
        Return the order as it is, None if there is no such order."""
        ...

    def list_by_customer(
        self, customer_id: str, limit: int, exclusive_start_key: PageKey | None = None
    ) -> tuple[list[Order], PageKey | None]:
        """Up to `limit` of the customer's orders, newest first, from an index (never a scan)."""
        ...


class InventoryRepository(Protocol):
    def get_products(self, skus: list[str]) -> dict[str, Product]: ...

    def put_product(self, product: Product) -> Product: ...

    def get_stocked(self, sku: str) -> StockedProduct | None: ...

    def shard_stock(self, skus: list[str]) -> dict[str, ShardStock]:
        """What each shard of each product holds; products that do not exist are left out."""
        ...

    def set_product(
        self, product: Product, expected_version: int | None, split: list[int] | None = None
    ) -> StockedProduct | None:
        """Write the product if it is still at `expected_version` (None: only if it does not exist yet), its units
        over its shards as `split` says (default: all in shard 0); what is stored afterwards, None if it had
        changed (nothing written)."""
        ...

    def restock(self, sku: str, amounts: list[int]) -> StockedProduct | None:
        """Add `amounts[i]` units to shard i, atomically; None if there is no such product."""
        ...

    def list_products(
        self, limit: int, exclusive_start_key: PageKey | None = None
    ) -> tuple[list[StockedProduct], PageKey | None]:
        """Up to `limit` products by sku, from an index of products only; the key to continue from."""
        ...

    def get_reservation(self, order_id: str) -> Reservation | None: ...

    def reserve(
        self, order_id: str, items: list[PricedItem], takes: list[ShardTake], log: LogAppend | None = None
    ) -> Reservation:
        """All or nothing: take `takes` (each item's units, from the shards planned) and record the reservation
        with them in one transaction. Returns the existing reservation if the order already has one (RESERVED or
        RELEASED). Raises StockMoved if a shard no longer holds what was planned, having changed nothing."""
        ...

    def release(self, order_id: str, log: LogAppend | None = None) -> Reservation:
        """Give a RESERVED reservation's stock back, each unit to the shard it came from, and mark it RELEASED,
        atomically. With no reservation,
        record a RELEASED one so that a late reserve cannot take stock any more."""
        ...

    def restock_return(self, return_id: str, items: list[PricedItem]) -> ReturnRestock:
        """Add a return's units back to `available` and record the restock, in one transaction. Returns the
        existing record if the return has one (RESTOCKED: a retry; UNSTOCKED: undone before it applied)."""
        ...

    def unstock_return(self, return_id: str) -> ReturnRestock:
        """Take a RESTOCKED return's units back out of `available` (never below 0: OutOfStock if they were
        sold again) and mark it UNSTOCKED, atomically. With no restock, record an UNSTOCKED one so that a late
        restock cannot apply any more."""
        ...


class PaymentsRepository(Protocol):
    def get(self, order_id: str) -> Payment | None: ...

    def attempt(self, order_id: str) -> Payment:
        """Count one more charge attempt unless the payment has an outcome; return the payment afterwards (its
        `attempts` include this one), or as it is if it has an outcome (nothing counted)."""
        ...

    def settle(
        self,
        order_id: str,
        status: PaymentStatus,
        amount_cents: int,
        decline_reason: str | None,
        log: LogAppend | None = None,
    ) -> Payment:
        """Record the outcome of the first attempt that got one (CAPTURED or DECLINED); return what is stored."""
        ...

    def refund(self, order_id: str, log: LogAppend | None = None) -> Payment:
        """CAPTURED -> REFUNDED; no outcome yet -> VOIDED (no capture may follow); otherwise unchanged."""
        ...

    def refund_return(self, order_id: str, return_id: str, cents: int) -> Payment:
        """Add `cents` to `refundedCents` once per return (never past the capture; RefundRefused otherwise).
        A return whose refund was voided is left as is: the caller sees it in `voided_returns`."""
        ...

    def void_return_refund(self, order_id: str, return_id: str, cents: int) -> Payment:
        """Take a return's refund back (`cents` off `refundedCents`), or, if it never applied, record the
        void so that it never can."""
        ...


class ReturnsRepository(Protocol):
    def get(self, return_id: str) -> ReturnRecord | None: ...

    def list_for_order(self, order_id: str) -> list[ReturnRecord]:
        """Every return of the order, oldest first, from an index."""
        ...

    def create(self, record: ReturnRecord) -> ReturnRecord:
        """Store `record` unless its id exists; return what is stored under that id afterwards."""
        ...

    def claim(self, validated: ReturnRecord, order: Order, returned_units: dict[str, int]) -> bool:
        """Validate a PENDING return (its priced items, refund, validatedAt) and set the CONFIRMED order's
        `returnedUnits`, in one transaction, on the condition that the order's returnsVersion is still the one
        in `order`. False when refused (nothing written): read again and decide again."""
        ...

    def cancel(
        self,
        record: ReturnRecord,
        order: Order | None,
        returned_units: dict[str, int],
        at: str,
        resumes: ResumedMark | None = None,
    ) -> bool:
        """PENDING -> CANCELLED, and COMPENSATION_FAILED -> CANCELLED only in the resume of that mark (`resumes`: the
        return's compensationFailures when the operator's resume started);
        a validated return sets the order's `returnedUnits` (its claim given back) in the same transaction,
        conditional on returnsVersion. False when refused."""
        ...

    def reject(self, return_id: str, rejection: str, at: str) -> ReturnRecord | None:
        """A PENDING return not validated -> REJECTED; the return as it is afterwards."""
        ...

    def complete(self, return_id: str, at: str) -> ReturnRecord | None:
        """A validated PENDING return -> COMPLETED unless it is fenced."""
        ...

    def fence(self, return_id: str, at: str) -> ReturnRecord | None:
        """Fence the return (its undo begins): a PENDING return can no longer be completed, even by a
        CompleteReturn in flight."""
        ...

    def mark_compensation_failed(self, return_id: str, at: str, again: bool = False) -> ReturnRecord | None:
        """PENDING (and COMPENSATION_FAILED when `again`: a resume given up in its turn) -> COMPENSATION_FAILED,
        counting the mark in `compensationFailures`; the return as it is afterwards."""
        ...


class SagaLogRepository(Protocol):
    def get(self, saga_id: str) -> SagaRecord | None: ...

    def record(
        self,
        saga_id: str,
        state: SagaState,
        at: str,
        status: SagaStatus | None = None,
        customer_id: str | None = None,
        *,
        document: FlowContext | None = None,
    ) -> bool:
        """Append `state` to the saga's history unless it is there already; True if it was appended. `document`:
        the saga's document as the step hands it on (the choreography's event announcing `state` carries it)."""
        ...

    def record_failure(
        self, saga_id: str, failure: SagaFailure, at: str, compensation: bool = False, customer_id: str | None = None
    ) -> bool:
        """Keep the first failure of its kind (forward or compensation); True if this one was kept. `customer_id`
        (the saga's document names it) is kept too unless the log has it: a saga can fail before anything logged
        its customer or stored its order, and its failure's event must still name whose saga it is."""
        ...

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
        """`state` to be appended by the write of a step's effect (see LogAppend): refused, with the effect, once
        the saga reached it. `document`: as for `record`."""
        ...

    def list_by_status(
        self, status: SagaStatus, limit: int, exclusive_start_key: PageKey | None = None
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


@dataclass(frozen=True)
class ReturnRecords:
    """What is stored about one return: the return and its saga log (each None if not there yet)."""

    record: ReturnRecord | None
    saga: SagaRecord | None


class ReturnRecordsReader(Protocol):
    def read(self, return_id: str) -> ReturnRecords:
        """The return and its saga log in one round trip (strongly consistent reads)."""
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
        """Start the saga's execution called `name`; return its id (ARN). On a Standard workflow, starting a name
        that was already started does not run the saga again and returns that execution's id; an Express
        workflow runs it again (the steps are idempotent), so no caller relies on the name to deduplicate."""
        ...


class SagaController(SagaStarter, Protocol):
    def stop(self, name: str, error: str, cause: str) -> None:
        """Stop the execution called `name` if it is running; nothing if it has ended or never existed, or if
        the workflow is Express (its executions cannot be stopped: the caller fences the saga instead)."""
        ...


class ReadModelRepository(Protocol):
    def apply(self, changes: Iterable[ProjectionChange]) -> None:
        """Add each event to its saga's projection, with what it carries (idempotent, in any order)."""
        ...

    def projections_of(self, customer_id: str) -> list[SagaProjection]: ...


class CustomerStore(StrEnum):
    """Where a customer's id is stored (docs/security.md, "Erasure")."""

    ORDERS = "orders"
    CHECKOUT_SAGA_LOG = "checkout saga log"
    RETURN_SAGA_LOG = "return saga log"
    CUSTOMER_SUMMARIES = "customer summaries"
    IDEMPOTENCY = "idempotency records"
    OUTBOX = "outbox"


@dataclass(frozen=True)
class CustomerMention:
    """One stored item that names a customer: its table and key, and the status of what it records where it has
    one (an order's, a saga's; an idempotency record's, INPROGRESS while its request runs)."""

    store: CustomerStore
    key: str
    status: str | None = None


class CustomerData(Protocol):
    def mentions(self, customer_id: str) -> list[CustomerMention]:
        """Every stored item that names the customer, in every table."""
        ...

    def pseudonymise(self, mention: CustomerMention, customer_id: str, pseudonym: str) -> bool:
        """Put `pseudonym` where the item has the customer's id, keeping everything else; only while the item still
        names the customer and records nothing running. False when refused (nothing written)."""
        ...

    def erased(self, customer_id: str) -> bool:
        """Whether an erasure of the customer was recorded (`record_erasure`)."""
        ...

    def record_erasure(self, customer_id: str, at: str) -> None:
        """Remember that the customer was erased, without keeping their id."""
        ...
