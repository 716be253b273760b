"""Models shared by the handlers, the logic and the data access: payloads, domain records, reusable types.

Payloads are camelCase JSON (what Step Functions and the API carry); Python attributes are snake_case.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any, Protocol, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator
from pydantic.alias_generators import to_camel

# The sagas' vocabulary is defined with the sagas themselves; re-exported here with the other shared models.
from checkout_saga.saga_definition import SagaState as SagaState
from checkout_saga.saga_definition import StepName as StepName


# ----------------------------------------------------------------- reusable types
def _storable(text: str) -> str:
    """JSON can carry lone UTF-16 surrogates ("\\ud800"); DynamoDB and UTF-8 cannot."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("must be valid Unicode text (no lone surrogates)") from exc
    return text


StorableText = AfterValidator(_storable)
OrderId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,80}$")]
CustomerId = Annotated[str, StringConstraints(min_length=1, max_length=64), StorableText]
Sku = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
Quantity = Annotated[int, Field(strict=True, ge=1, le=1000)]
Cents = Annotated[int, Field(strict=True, ge=0)]
MAX_SHARDS = 32
ShardCount = Annotated[int, Field(strict=True, ge=1, le=MAX_SHARDS)]
ShardIndex = Annotated[int, Field(strict=True, ge=0, lt=MAX_SHARDS)]
PaymentToken = Annotated[str, StringConstraints(min_length=1, max_length=64), StorableText]
Reason = Annotated[str, StringConstraints(max_length=500), StorableText]
SealedToken = Annotated[str, StringConstraints(min_length=1, max_length=4096)]  # base64 of a KMS ciphertext


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"
    COMPENSATION_FAILED = "COMPENSATION_FAILED"


class ReturnStatus(StrEnum):
    PENDING = "PENDING"
    COMPLETED = "COMPLETED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    COMPENSATION_FAILED = "COMPENSATION_FAILED"


SagaStatus = OrderStatus | ReturnStatus  # a checkout saga's status is its order's, a return saga's its return's


class Coordination(StrEnum):
    """How a checkout's steps are driven: a state machine, or each service reacting to the others' events."""

    ORCHESTRATION = "orchestration"
    CHOREOGRAPHY = "choreography"


class PaymentStatus(StrEnum):
    CAPTURED = "CAPTURED"
    REFUNDED = "REFUNDED"
    DECLINED = "DECLINED"
    VOIDED = "VOIDED"  # a refund arrived before any capture: no capture may happen afterwards


class ReservationStatus(StrEnum):
    RESERVED = "RESERVED"
    RELEASED = "RELEASED"


class RestockStatus(StrEnum):
    RESTOCKED = "RESTOCKED"
    UNSTOCKED = "UNSTOCKED"  # undone, or undone before it happened: no restock may happen afterwards


class CamelModel(BaseModel):
    # Each model's validator is built on its first use, not at import: a function uses a few of the models its
    # imports define, and a cold start then builds only those (about a fifth of a cold start's CPU, measured on
    # the local cloud's workers: 170 ms down to 135).
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", defer_build=True)

    def to_payload(self, exclude_none: bool = False, exclude: set[str] | None = None) -> dict[str, Any]:
        """The camelCase JSON document; `exclude`: attribute names (snake_case) to leave out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=exclude_none, exclude=exclude)


# ----------------------------------------------------------------------- payloads
class _HasSku(Protocol):
    @property
    def sku(self) -> str: ...


ItemT = TypeVar("ItemT", bound=_HasSku)


def each_sku_once(items: list[ItemT]) -> list[ItemT]:
    skus = [item.sku for item in items]
    repeated = sorted({sku for sku in skus if skus.count(sku) > 1})
    if repeated:
        raise ValueError(f"each sku may appear once; repeated: {', '.join(repeated)}")
    return items


class LineItem(CamelModel):
    sku: Sku
    quantity: Quantity
    unit_price_cents: Cents | None = None  # filled from the catalog when the caller did not price it

    def as_priced(self) -> PricedItem:
        """The item once priced (by CreateOrder or ValidateReturn); a missing price is a validation error."""
        return PricedItem.model_validate(self.model_dump())


class PricedItem(CamelModel):
    sku: Sku
    quantity: Quantity
    unit_price_cents: Cents

    @property
    def subtotal_cents(self) -> int:
        return self.quantity * self.unit_price_cents

    def as_line(self) -> LineItem:
        return LineItem(**self.model_dump())


LineItems = Annotated[list[LineItem], Field(min_length=1, max_length=50), AfterValidator(each_sku_once)]


class StepFailure(CamelModel):
    """What Step Functions puts at ResultPath of a Catch: the error name and its cause."""

    model_config = ConfigDict(alias_generator=None, populate_by_name=True, extra="ignore")

    Error: str
    Cause: str | None = None

    @property
    def message(self) -> str | None:
        """A Lambda error's Cause is its JSON error document: keep just the message."""
        try:
            document = json.loads(self.Cause or "")
        except ValueError:
            return self.Cause
        return str(document.get("errorMessage", self.Cause)) if isinstance(document, dict) else self.Cause


class SagaPayload(CamelModel):
    """What a saga step receives: `saga_id` names its saga (the saga log's key, the logs' correlation id)."""

    @property
    def saga_id(self) -> str:
        raise NotImplementedError


class FlowContext(SagaPayload):
    """What every saga's document carries besides its data: where it failed and why, and whether it is a
    resumed undo. Catches fill these in (ResultPath), the compensations read them."""

    failed_step: StepName | None = None
    failure: StepFailure | None = None
    failed_compensation: StepName | None = None
    compensation_failure: StepFailure | None = None
    resume_compensation: bool | None = None
    # A resume's (and a forced undo's): the saga's compensationFailures when it started. Its cancel ends only the
    # COMPENSATION_FAILED mark it was started for, never one its own undo made later (docs/adr/0012).
    resumes_failure: Annotated[int, Field(ge=0)] | None = None


class SagaContext(FlowContext):
    """The document that flows from state to state through the checkout state machine."""

    order_id: OrderId
    customer_id: CustomerId | None = None
    items: list[LineItem] = Field(default_factory=list)
    payment_token: PaymentToken | None = None  # given as is only by a direct StartExecution (docs/api.md)
    sealed_payment_token: SealedToken | None = None  # what the API starts sagas with: see dal/kms_token_vault.py
    total_cents: Cents | None = None

    @property
    def saga_id(self) -> str:
        return self.order_id


class ReturnContext(FlowContext):
    """The document that flows from state to state through the return state machine."""

    return_id: OrderId
    order_id: OrderId | None = None
    items: list[LineItem] = Field(default_factory=list)
    reason: Reason | None = None
    refund_cents: Cents | None = None

    @property
    def saga_id(self) -> str:
        return self.return_id


class ReturnInput(SagaPayload):
    """ValidateReturn's input: the execution's input, named after the execution when it had no returnId."""

    return_id: OrderId
    order_id: OrderId
    items: LineItems
    reason: Reason | None = None

    @property
    def saga_id(self) -> str:
        return self.return_id


class CheckoutInput(SagaPayload):
    """CreateOrder's input: the execution's input, named after the execution when it had no orderId."""

    order_id: OrderId
    customer_id: CustomerId
    items: LineItems
    payment_token: PaymentToken | None = None
    sealed_payment_token: SealedToken | None = None

    @model_validator(mode="after")
    def _one_payment_token(self) -> CheckoutInput:
        if (self.payment_token is None) == (self.sealed_payment_token is None):
            raise ValueError("exactly one of paymentToken and sealedPaymentToken is required")
        return self

    @property
    def saga_id(self) -> str:
        return self.order_id


# ------------------------------------------------------------------ domain records
class Order(CamelModel):
    order_id: OrderId
    customer_id: CustomerId
    status: OrderStatus
    items: list[PricedItem]
    total_cents: Cents
    created_at: str
    updated_at: str
    # Units of each sku claimed by returns (validated, not undone): a return may claim at most what was bought.
    returned_units: dict[str, int] = Field(default_factory=dict)
    returns_version: int = 0  # bumped by every claim and release, the condition of the next one
    compensation_failures: int = 0  # times its undo was given up (marked COMPENSATION_FAILED): a resume names one

    @classmethod
    def new(cls, order_id: str, customer_id: str, status: OrderStatus, items: list[PricedItem], now: str) -> Order:
        """An order as first stored: its total from its items, created and updated now."""
        total = sum(item.subtotal_cents for item in items)
        return cls(
            order_id=order_id,
            customer_id=customer_id,
            status=status,
            items=items,
            total_cents=total,
            created_at=now,
            updated_at=now,
            compensation_failures=1 if status is OrderStatus.COMPENSATION_FAILED else 0,
        )


class ReturnRecord(CamelModel):
    """A return of some units of a CONFIRMED order. `items` are priced (the price the order paid) once
    ValidateReturn accepted them; `fenced_at` fences CompleteReturn as `fencedAt` fences ConfirmOrder."""

    return_id: OrderId
    order_id: OrderId
    status: ReturnStatus
    items: list[LineItem]
    refund_cents: Cents = 0
    reason: str | None = None
    requested_at: str
    updated_at: str
    validated_at: str | None = None
    rejection: str | None = None
    fenced_at: str | None = None
    compensation_failures: int = 0  # as an order's: times its undo was given up, a resume names one

    @classmethod
    def new(
        cls, return_id: str, order_id: str, status: ReturnStatus, items: list[LineItem], reason: str | None, now: str
    ) -> ReturnRecord:
        """A return as first stored, requested and updated now."""
        return cls(
            return_id=return_id,
            order_id=order_id,
            status=status,
            items=items,
            reason=reason,
            requested_at=now,
            updated_at=now,
        )


class Product(CamelModel):
    sku: Sku
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    unit_price_cents: Cents
    available: Annotated[int, Field(strict=True, ge=0)]  # the product's total, whatever its shards
    # How many items its stock is split over: a hot product's sales spread over them (docs/scale.md).
    shards: ShardCount = 1


class ShardTake(CamelModel):
    """Units of one sku taken from (or given back to) one of its stock shards (0: the product's own item)."""

    sku: Sku
    shard: ShardIndex
    quantity: Quantity


class ShardStock(CamelModel):
    """A product's stock as its shards hold it: `available[i]` units in shard i. New stock goes to the first
    `shards`; a shard beyond them (the product had more once) is still sold from, never refilled."""

    sku: Sku
    shards: ShardCount
    available: list[Annotated[int, Field(ge=0)]]


class StockedProduct(Product):
    """A product with its `version`, bumped by every change of the product (a sale, a release, a restock, a
    stocktake): a stocktake's write is conditional on the version it was based on."""

    version: Annotated[int, Field(strict=True, ge=0)] = 0


class Reservation(CamelModel):
    order_id: OrderId
    status: ReservationStatus
    items: list[PricedItem] = Field(default_factory=list)
    # Where the units came from, so that a release gives each back to its shard; none: all from shard 0.
    takes: list[ShardTake] = Field(default_factory=list)

    def shard_takes(self) -> list[ShardTake]:
        return self.takes or [ShardTake(sku=item.sku, shard=0, quantity=item.quantity) for item in self.items]


class ReturnRestock(CamelModel):
    return_id: OrderId
    status: RestockStatus
    items: list[PricedItem] = Field(default_factory=list)


class Payment(CamelModel):
    order_id: OrderId
    status: PaymentStatus | None = None  # None: only attempts were counted so far
    amount_cents: Cents = 0
    attempts: int = 0
    decline_reason: str | None = None
    refunded_cents: Cents = 0  # given back by completed or running returns (the checkout's own refund is REFUNDED)
    refunded_returns: set[str] = Field(default_factory=set)
    voided_returns: set[str] = Field(default_factory=set)  # refunds undone, or undone before they happened


class SagaTransition(CamelModel):
    state: SagaState
    at: str


class SagaFailure(CamelModel):
    """Where a saga failed (the step), with which error and why; stored in the saga log, shown by the API."""

    step: str
    error: str
    cause: Annotated[str, BeforeValidator(lambda cause: cause or "")]  # an error without a message: ""


class SagaRecord(CamelModel):
    saga_id: OrderId
    status: SagaStatus
    state: SagaState
    started_at: str
    updated_at: str
    customer_id: str | None = None
    history: list[SagaTransition] = Field(default_factory=list)
    failure: SagaFailure | None = None
    compensation_failure: SagaFailure | None = None
    failure_at: str | None = None  # when `failure` was recorded
    compensation_failure_at: str | None = None
    coordination: Coordination = Coordination.ORCHESTRATION


class SagaProjection(CamelModel):
    """One saga as the read model tells it: folded from the items of its events."""

    customer_id: str
    saga_id: str
    kind: str
    events: set[str] = Field(default_factory=set)
    placed_at: str | None = None  # OrderCreated's time
    spent_cents: int | None = None  # OrderConfirmed's amount
    refunded_cents: int | None = None  # ReturnCompleted's amount


class ProjectionChange(CamelModel):
    """What one event adds to its saga's projection: the event's type, and what that event alone carries."""

    customer_id: str
    saga_id: str
    kind: str
    event_type: str
    placed_at: str | None = None
    spent_cents: int | None = None
    refunded_cents: int | None = None
