"""The one definition of each saga: its steps in order, each step's undo, which errors are transient and which
end the saga, where it gives up, and its pivot.

Everything else that knows a saga's shape derives from here or is compared with it by a test:
- the choreography's routing tables (`saga_events.py`) and the step handlers it runs derive from it;
- the operator's "where was it" (`SagaDefinition.step_after`) derives from it;
- each ASL file is compared with it state by state (tests/template/test_saga_definition.py): Task states, Next,
  Retry error lists, Catch routes and the step each Catch records as failed;
- the template's event routing and the console's saga kinds (state machine tags) are compared with it by tests.

A step is written here once, with the transition it records when it takes effect and the event that transition
announces when the saga is choreographed. The undo runs the steps' undos in reverse; a forward step that fails
enters the undo at its own undo (its effect may be half there) or, for a step with none (the pivot), at the undo
of the step before it. Where an execution may run twice (an Express workflow: at least once), every failure enters
the whole undo instead: a twin execution of the same saga may have gone further than the one that failed."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from checkout_saga.errors import (
    OrderAlreadyExists,
    OrderConfirmed,
    PaymentProviderUnavailable,
    ReturnCompleted,
    ReturnNotAllowed,
    SagaAlreadyCompensated,
    SagaError,
    TransientStepError,
)


class StepName(StrEnum):
    """The sagas' steps (checkout, then return): ASL state names, fault-injection keys, failure.step values."""

    CREATE_ORDER = "CreateOrder"
    RESERVE_STOCK = "ReserveStock"
    CHARGE_PAYMENT = "ChargePayment"
    CONFIRM_ORDER = "ConfirmOrder"
    CANCEL_ORDER = "CancelOrder"
    RELEASE_STOCK = "ReleaseStock"
    REFUND_PAYMENT = "RefundPayment"
    VALIDATE_RETURN = "ValidateReturn"
    REFUND_RETURN = "RefundReturn"
    RESTOCK_RETURN = "RestockReturn"
    COMPLETE_RETURN = "CompleteReturn"
    UNSTOCK_RETURN = "UnstockReturn"
    VOID_RETURN_REFUND = "VoidReturnRefund"
    CANCEL_RETURN = "CancelReturn"


class SagaState(StrEnum):
    """Every transition a saga records in its log, in the order they can happen (checkout, then return)."""

    STARTED = "STARTED"
    ORDER_CREATED = "ORDER_CREATED"
    STOCK_RESERVED = "STOCK_RESERVED"
    PAYMENT_CHARGED = "PAYMENT_CHARGED"
    CONFIRMED = "CONFIRMED"
    PAYMENT_REFUNDED = "PAYMENT_REFUNDED"
    STOCK_RELEASED = "STOCK_RELEASED"
    CANCELLED = "CANCELLED"
    COMPENSATION_FAILED = "COMPENSATION_FAILED"
    RETURN_VALIDATED = "RETURN_VALIDATED"
    RETURN_REFUNDED = "RETURN_REFUNDED"
    RETURN_RESTOCKED = "RETURN_RESTOCKED"
    COMPLETED = "COMPLETED"
    RETURN_UNSTOCKED = "RETURN_UNSTOCKED"
    REFUND_VOIDED = "REFUND_VOIDED"
    REJECTED = "REJECTED"


class Ending(StrEnum):
    """How an error a step raises on purpose ends the saga, with no retry and no undo."""

    SUCCEEDED = "succeeded"  # the pivot was passed (only its answer was lost): nothing may be undone
    CANCELLED = "cancelled"  # the undo had completed (only its answer was lost)
    REFUSED = "refused"  # the saga changed nothing and ends with this error (e.g. a return not allowed)


# Errors of the invocation itself, retried with a forward step's transient errors (Lambda's and Step Functions').
INVOCATION_ERRORS = (
    "Sandbox.Timedout",
    "States.Timeout",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)


@dataclass(frozen=True)
class Step:
    """A step (forward, undo, or the last resort that records a stuck undo): `records` is the saga-log transition
    it writes when it takes effect, `announces` the event that transition is when the saga is choreographed,
    `service` the choreographed service that runs it (template.yaml: `<service>ServiceFunction`)."""

    name: str
    records: str
    announces: str
    service: str
    ends: Mapping[type[SagaError], Ending] = field(default_factory=dict)
    undo: Step | None = None

    @property
    def ending_errors(self) -> dict[str, Ending]:
        """The ASL's names of the errors that end the saga here (a Lambda error's name is its class name)."""
        return {error.__name__: ending for error, ending in self.ends.items()}


@dataclass(frozen=True)
class SagaDefinition:
    kind: str
    forward: tuple[Step, ...]
    pivot: str  # the forward step after which nothing is undone
    gives_up: Step  # marks the saga COMPENSATION_FAILED when an undo keeps failing
    transient: tuple[type[SagaError], ...]  # a forward step retries these; an undo retries everything

    def __post_init__(self) -> None:
        names = [step.name for step in self.steps]
        if len(names) != len(set(names)):
            raise ValueError(f"{self.kind}: a step name appears twice: {names}")
        pivot = self.step(self.pivot)
        if pivot.undo is not None or pivot is not self.forward[-1]:
            raise ValueError(f"{self.kind}: the pivot {self.pivot} must be the last forward step, with no undo")
        if not self.compensations:
            raise ValueError(f"{self.kind}: a saga needs at least one undo")

    @property
    def compensations(self) -> tuple[Step, ...]:
        """The undo, in the order it runs: the forward steps' undos in reverse."""
        return tuple(step.undo for step in reversed(self.forward) if step.undo is not None)

    @property
    def steps(self) -> tuple[Step, ...]:
        """Every step a fault can be injected into: forward, then the undo."""
        return (*self.forward, *self.compensations)

    @property
    def transient_errors(self) -> tuple[str, ...]:
        return tuple(error.__name__ for error in self.transient)

    @property
    def ends(self) -> tuple[str, ...]:
        """The transitions that end the saga: its pivot's (it succeeded) and its last undo's (it was undone)."""
        return (self.step(self.pivot).records, self.compensations[-1].records)

    @property
    def undo_on_the_way(self) -> tuple[str, ...]:
        """The transitions the undo records before the one that ends it: once the saga has ended, none of them is
        recorded any more (an undo that comes late, e.g. a forced one racing the execution's own)."""
        return tuple(step.records for step in self.compensations[:-1])

    def step(self, name: str) -> Step:
        for step in (*self.steps, self.gives_up):
            if step.name == name:
                return step
        raise KeyError(f"{self.kind} has no step {name}")

    def is_forward(self, name: str) -> bool:
        return any(step.name == name for step in self.forward)

    def is_undo(self, name: str) -> bool:
        return any(step.name == name for step in self.compensations)

    def undo_entry(self, failed: str, at_least_once: bool = False) -> Step:
        """Where the undo starts when forward step `failed` fails: its own undo, or the undo of the nearest step
        before it that has one; with `at_least_once` (executions that may run twice), the first undo, whatever
        failed (the undos of what was never done change nothing)."""
        if at_least_once:
            return self.compensations[0]
        position = [step.name for step in self.forward].index(failed)
        for step in reversed(self.forward[: position + 1]):
            if step.undo is not None:
                return step.undo
        raise ValueError(f"{self.kind}: nothing to undo before {failed}")

    def next_step(self, name: str) -> Step | None:
        """The step after `name` on its own path (forward or undo); None after the last."""
        for path in (self.forward, self.compensations):
            names = [step.name for step in path]
            if name in names:
                position = names.index(name)
                return path[position + 1] if position + 1 < len(path) else None
        raise KeyError(f"{self.kind} has no step {name} on its paths")

    def step_after(self, state: str) -> str:
        """The step a saga that last logged `state` was running or about to run (the operator's "where was it")."""
        for path in (self.forward, self.compensations):
            for before, after in itertools.pairwise(path):
                if before.records == state:
                    return after.name
        return self.forward[0].name


CHECKOUT = SagaDefinition(
    kind="checkout",
    forward=(
        Step(
            StepName.CREATE_ORDER,
            records=SagaState.ORDER_CREATED,
            announces="OrderCreated",
            service="Orders",
            ends={OrderAlreadyExists: Ending.REFUSED},
            undo=Step(StepName.CANCEL_ORDER, records=SagaState.CANCELLED, announces="OrderCancelled", service="Orders"),
        ),
        Step(
            StepName.RESERVE_STOCK,
            records=SagaState.STOCK_RESERVED,
            announces="StockReserved",
            service="Inventory",
            undo=Step(
                StepName.RELEASE_STOCK, records=SagaState.STOCK_RELEASED, announces="StockReleased", service="Inventory"
            ),
        ),
        Step(
            StepName.CHARGE_PAYMENT,
            records=SagaState.PAYMENT_CHARGED,
            announces="PaymentCharged",
            service="Payments",
            undo=Step(
                StepName.REFUND_PAYMENT,
                records=SagaState.PAYMENT_REFUNDED,
                announces="PaymentRefunded",
                service="Payments",
                ends={OrderConfirmed: Ending.SUCCEEDED},  # the undo found the pivot passed
            ),
        ),
        Step(StepName.CONFIRM_ORDER, records=SagaState.CONFIRMED, announces="OrderConfirmed", service="Orders"),
    ),
    pivot=StepName.CONFIRM_ORDER,
    gives_up=Step(
        "MarkCompensationFailed",
        records=SagaState.COMPENSATION_FAILED,
        announces="CompensationFailureRecorded",
        service="Orders",
        ends={OrderConfirmed: Ending.SUCCEEDED, SagaAlreadyCompensated: Ending.CANCELLED},
    ),
    transient=(TransientStepError, PaymentProviderUnavailable),
)

RETURN = SagaDefinition(
    kind="return",
    forward=(
        Step(
            StepName.VALIDATE_RETURN,
            records=SagaState.RETURN_VALIDATED,
            announces="ReturnValidated",
            service="Returns",
            ends={ReturnNotAllowed: Ending.REFUSED},
            undo=Step(
                StepName.CANCEL_RETURN, records=SagaState.CANCELLED, announces="ReturnCancelled", service="Returns"
            ),
        ),
        Step(
            StepName.REFUND_RETURN,
            records=SagaState.RETURN_REFUNDED,
            announces="ReturnRefunded",
            service="Payments",
            undo=Step(
                StepName.VOID_RETURN_REFUND,
                records=SagaState.REFUND_VOIDED,
                announces="ReturnRefundVoided",
                service="Payments",
            ),
        ),
        Step(
            StepName.RESTOCK_RETURN,
            records=SagaState.RETURN_RESTOCKED,
            announces="ReturnRestocked",
            service="Inventory",
            undo=Step(
                StepName.UNSTOCK_RETURN,
                records=SagaState.RETURN_UNSTOCKED,
                announces="ReturnUnstocked",
                service="Inventory",
                ends={ReturnCompleted: Ending.SUCCEEDED},  # the undo found the pivot passed
            ),
        ),
        Step(StepName.COMPLETE_RETURN, records=SagaState.COMPLETED, announces="ReturnCompleted", service="Returns"),
    ),
    pivot=StepName.COMPLETE_RETURN,
    gives_up=Step(
        "MarkReturnCompensationFailed",
        records=SagaState.COMPENSATION_FAILED,
        announces="ReturnCompensationFailureRecorded",
        service="Returns",
        ends={ReturnCompleted: Ending.SUCCEEDED, SagaAlreadyCompensated: Ending.CANCELLED},
    ),
    transient=(TransientStepError,),
)

SAGAS = (CHECKOUT, RETURN)


def ends_barring(state: str) -> tuple[str, ...]:
    """The transitions after which `state` is no longer recorded: its saga's ends, for a transition its undo
    records on the way (docs/adr/0009-a-saga-that-ended-records-nothing-more.md); none for any other."""
    for saga in SAGAS:
        if state in saga.undo_on_the_way:
            return saga.ends
    return ()


def saga_of(step: str) -> SagaDefinition:
    """The saga a step (or last resort) belongs to."""
    for saga in SAGAS:
        if step in {s.name for s in (*saga.steps, saga.gives_up)}:
            return saga
    raise KeyError(f"no saga has a step {step}")
