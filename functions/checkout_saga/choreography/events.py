"""The checkout's events when it is choreographed: what each one is called, what it carries, and which step
reacts to it. The one table `REACTIONS` is the whole choreography; template.yaml's rules route the same names
to each service's queue (tests/unit/test_choreography_events.py checks that they agree).

An event is named after what happened (`StockReserved`, `ChargePaymentFailed`), never after who should act.
Its id is `<sagaId>#<name>#<round>`: a step delivered twice emits its event once, and a sweep of a stalled
saga (`SagaStalled`) starts a new round, so the undo it starts can emit again what an earlier round lost."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from checkout_saga.models import CamelModel, OrderId, SagaState, StepName

SOURCE = "checkout-saga"  # the events' `source` on the bus

CHECKOUT_REQUESTED = "CheckoutRequested"
SAGA_STALLED = "SagaStalled"
COMPENSATION_FAILED = "CompensationFailed"

# What each recorded transition announces (STARTED is announced by the API's CheckoutRequested).
TRANSITION_EVENTS: dict[SagaState, str] = {
    SagaState.ORDER_CREATED: "OrderCreated",
    SagaState.STOCK_RESERVED: "StockReserved",
    SagaState.PAYMENT_CHARGED: "PaymentCharged",
    SagaState.CONFIRMED: "CheckoutConfirmed",
    SagaState.PAYMENT_REFUNDED: "PaymentRefunded",
    SagaState.STOCK_RELEASED: "StockReleased",
    SagaState.CANCELLED: "CheckoutCancelled",
    SagaState.COMPENSATION_FAILED: "CompensationFailureRecorded",
}

FORWARD_STEPS = (StepName.CREATE_ORDER, StepName.RESERVE_STOCK, StepName.CHARGE_PAYMENT, StepName.CONFIRM_ORDER)
COMPENSATIONS = (StepName.REFUND_PAYMENT, StepName.RELEASE_STOCK, StepName.CANCEL_ORDER)
MARK_COMPENSATION_FAILED = "MarkCompensationFailed"  # not a step of its own (no fault injection), as in the ASL


# The transition each forward step records when it takes effect: a step that recorded it emits no failure, and
# (but for the pivot, see EXCLUSIVE_STEPS) one whose failure is out records nothing (dal/dynamodb_outbox.py).
FORWARD_TRANSITIONS: dict[StepName, SagaState] = {
    StepName.CREATE_ORDER: SagaState.ORDER_CREATED,
    StepName.RESERVE_STOCK: SagaState.STOCK_RESERVED,
    StepName.CHARGE_PAYMENT: SagaState.PAYMENT_CHARGED,
    StepName.CONFIRM_ORDER: SagaState.CONFIRMED,
}


# Whose recorded transition is refused once its failure was emitted. Not ConfirmOrder's: confirming the order is
# the pivot, decided by the order's own fence (RefundPayment fences it first, or finds it CONFIRMED and undoes
# nothing), so a ConfirmOrder that took effect must record CONFIRMED, whatever another delivery emitted.
EXCLUSIVE_STEPS = frozenset({StepName.CREATE_ORDER, StepName.RESERVE_STOCK, StepName.CHARGE_PAYMENT})


def failed(step: StepName) -> str:
    """The event a forward step emits when it fails for good: `ReserveStockFailed`."""
    return f"{step.value}Failed"


# event name -> the step that reacts to it: forward, then where each failure enters the undo (as the state
# machine's Catches do), then the undo in reverse.
REACTIONS: dict[str, str] = {
    CHECKOUT_REQUESTED: StepName.CREATE_ORDER.value,
    "OrderCreated": StepName.RESERVE_STOCK.value,
    "StockReserved": StepName.CHARGE_PAYMENT.value,
    "PaymentCharged": StepName.CONFIRM_ORDER.value,
    failed(StepName.CREATE_ORDER): StepName.CANCEL_ORDER.value,
    failed(StepName.RESERVE_STOCK): StepName.RELEASE_STOCK.value,
    failed(StepName.CHARGE_PAYMENT): StepName.REFUND_PAYMENT.value,
    failed(StepName.CONFIRM_ORDER): StepName.REFUND_PAYMENT.value,
    SAGA_STALLED: StepName.REFUND_PAYMENT.value,  # the sweeper's: undo from the start, as a forced compensation
    "PaymentRefunded": StepName.RELEASE_STOCK.value,
    "StockReleased": StepName.CANCEL_ORDER.value,
    COMPENSATION_FAILED: MARK_COMPENSATION_FAILED,
}


class SagaEvent(CamelModel):
    """The `detail` of every event on the bus: the saga document the reacting step takes as its input (the
    state machine's document: items, sealed token, total, and where and why it failed)."""

    saga_id: OrderId
    name: str
    round: int = Field(default=0, ge=0)
    context: dict[str, Any]

    @property
    def event_id(self) -> str:
        return event_id(self.saga_id, self.name, self.round)


def event_id(saga_id: str, name: str, round_: int) -> str:
    return f"{saga_id}#{name}#{round_}"
