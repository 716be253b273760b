"""The HTTP API's payloads (openapi.json): what clients send and what they get back, camelCase on the wire.

Requests are strict (unknown fields, strings for numbers and texts that DynamoDB cannot store are refused
with a 400), so a client mistake is answered by the API and never reaches the saga."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, StringConstraints, WithJsonSchema

from checkout_saga.models import (
    CamelModel,
    Cents,
    Coordination,
    CustomerId,
    LineItem,
    OrderId,
    OrderStatus,
    PaymentToken,
    PricedItem,
    Quantity,
    Reason,
    ReturnStatus,
    SagaFailure,
    SagaState,
    SagaTransition,
    ShardCount,
    Sku,
    StockedProduct,
    StorableText,
    each_sku_once,
)


def _not_null(value: object) -> object:
    if value is None:
        raise ValueError("may be left out, but not null")
    return value


ProductName = Annotated[str, StringConstraints(min_length=1, max_length=200), StorableText]
PriceCents = Annotated[int, Field(strict=True, ge=0, le=100_000_000)]  # up to 1,000,000.00 per unit
StockUnits = Annotated[int, Field(strict=True, ge=0, le=1_000_000_000)]
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
PageToken = Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class RequestModel(CamelModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------------- checkout
class CheckoutItem(RequestModel):
    sku: Sku
    quantity: Quantity


class CheckoutRequest(RequestModel):
    # Optional, but never null: left out, the order's customer is the signed-in user.
    customer_id: Annotated[
        CustomerId | None,
        BeforeValidator(_not_null),
        WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 64}),
        Field(description="The signed-in user (the default). Only an operator may name another customer."),
    ] = None
    items: Annotated[list[CheckoutItem], Field(min_length=1, max_length=50), AfterValidator(each_sku_once)]
    payment_token: PaymentToken
    coordination: Annotated[
        Coordination,
        Field(
            description="orchestration: a state machine drives the steps; choreography: each service reacts "
            "to the others' events (docs/choreography.md)."
        ),
    ] = Coordination.ORCHESTRATION


class CheckoutAccepted(CamelModel):
    order_id: OrderId
    status: Literal["PENDING"]
    execution_arn: str


# ------------------------------------------------------------------------ orders
class PaymentState(StrEnum):
    """What a client sees of a payment: DECLINED and VOIDED (nothing was ever taken) show as NONE;
    PARTIALLY_REFUNDED after returns gave part of a capture back, REFUNDED once all of it is."""

    NONE = "NONE"
    CAPTURED = "CAPTURED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"


class PaymentView(CamelModel):
    status: PaymentState
    amount_cents: Cents
    refunded_cents: Cents = 0


class ReturnSummary(CamelModel):
    return_id: OrderId
    status: ReturnStatus
    refund_cents: Cents


class SagaView(CamelModel):
    state: SagaState
    history: list[SagaTransition]
    failure: SagaFailure | None
    coordination: Coordination = Coordination.ORCHESTRATION


class OrderView(CamelModel):
    order_id: OrderId
    customer_id: str
    status: OrderStatus
    items: list[PricedItem]
    total_cents: Cents
    payment: PaymentView
    saga: SagaView
    returns: list[ReturnSummary] = Field(default_factory=list)


# ----------------------------------------------------------------------- returns
class ReturnRequest(RequestModel):
    items: Annotated[list[CheckoutItem], Field(min_length=1, max_length=50), AfterValidator(each_sku_once)]
    reason: Reason = ""


class ReturnAccepted(CamelModel):
    return_id: OrderId
    order_id: OrderId
    status: Literal["PENDING"]
    execution_arn: str


class ReturnView(CamelModel):
    return_id: OrderId
    order_id: OrderId
    status: ReturnStatus
    items: list[LineItem]
    refund_cents: Cents
    reason: str
    saga: SagaView


# ------------------------------------------------------------------------- sagas
class SagaKindName(StrEnum):
    """The sagas GET /sagas lists: checkouts (an order id each) or returns (a return id each)."""

    CHECKOUT = "checkout"
    RETURN = "return"


class AnySagaStatus(StrEnum):
    """A status of either kind of saga; each kind has its own (a return is never CONFIRMED, an order never
    COMPLETED): GET /sagas refuses a status its kind does not have."""

    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    COMPLETED = "COMPLETED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    COMPENSATION_FAILED = "COMPENSATION_FAILED"


class SagaSummary(CamelModel):
    saga_id: OrderId
    status: AnySagaStatus
    state: SagaState
    started_at: str
    updated_at: str


class SagaPage(CamelModel):
    items: list[SagaSummary]
    next: str | None


class CompensateRequest(RequestModel):
    reason: Reason = ""


class UndoAccepted(CamelModel):
    order_id: OrderId
    execution_arn: str


class ReturnUndoAccepted(CamelModel):
    return_id: OrderId
    execution_arn: str


# ---------------------------------------------------------------------- products
class ProductInput(RequestModel):
    name: ProductName
    unit_price_cents: PriceCents
    available: StockUnits
    shards: ShardCount = Field(
        default=1, description="How many items the stock is split over (a hot product sells from several at once)"
    )
    version: Annotated[int, Field(strict=True, ge=0)] | None = Field(
        default=None, description="The version the count was made against (GET's `version`): 409 if it changed"
    )


class RestockInput(RequestModel):
    quantity: Annotated[int, Field(strict=True, ge=1, le=1_000_000)]


class ProductPage(CamelModel):
    items: list[StockedProduct]
    next: str | None


class CustomerOrder(CamelModel):
    order_id: OrderId
    status: OrderStatus
    total_cents: Cents
    created_at: str


class CustomerOrderPage(CamelModel):
    items: list[CustomerOrder]
    next: str | None


class CustomerErased(CamelModel):
    """The answer of POST /customers/{customerId}/erase, the same every time once the customer is erased."""

    customer_id: CustomerId
    erased: Literal[True]


# ------------------------------------------------------------------------ events (docs/events.md)
class SagaEventView(CamelModel):
    seq: int = Field(ge=1, description="The event's place in its saga's history, from 1")
    type: str = Field(description="OrderCreated, StockReserved, ..., <Step>Failed, ..., OrderCancelled")
    at: str
    source: str = Field(description="The service whose step the event is (Orders, Inventory, Payments, Returns)")
    detail: dict[str, object]


class SagaEventHistory(CamelModel):
    order_id: str = Field(description="The saga's id: an order's, or a return's (returnId)")
    events: list[SagaEventView]


class CustomerSummaryView(CamelModel):
    customer_id: str
    orders: int
    confirmed: int
    cancelled: int
    returned: int
    spent_cents: Cents
    refunded_cents: Cents
    last_order_at: str | None


# ------------------------------------------------------------------------ errors
class FieldError(CamelModel):
    field: str
    message: str


class ErrorBody(CamelModel):
    message: str


class InvalidRequestBody(ErrorBody):
    errors: list[FieldError]
