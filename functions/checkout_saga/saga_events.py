"""The checkout's events when it is choreographed: what each one is called, what it carries, and which step
reacts to it. Every table here is derived from the saga's definition (saga_definition.py); template.yaml's rules
route the same names to each service's queue (tests/unit/test_choreography_events.py checks that they agree).

An event is named after what happened (`StockReserved`, `ChargePaymentFailed`), never after who should act.
Its id is `<sagaId>#<name>#<round>`: a step delivered twice emits its event once, and a sweep of a stalled
saga (`SagaStalled`) starts a new round, so the undo it starts can emit again what an earlier round lost.
An event carries the step's output document, as a state machine passes a Task's result to the next state."""

from __future__ import annotations

import itertools
from typing import Any, Literal

from pydantic import Field

from checkout_saga.models import CamelModel, OrderId
from checkout_saga.saga_definition import CHECKOUT, SagaDefinition

SOURCE = "checkout-saga"  # the events' `source` on the bus

CHECKOUT_REQUESTED = "CheckoutRequested"  # the API's: the saga's first event (its STARTED transition)
SAGA_STALLED = "SagaStalled"  # the timer's or the sweeper's; also the failure a stalled saga's undo records
COMPENSATION_FAILED = "CompensationFailed"  # an undo failed for good


def failed(step: str) -> str:
    """The event a forward step emits when it fails for good: `ReserveStockFailed`."""
    return f"{step}Failed"


def transition_events(saga: SagaDefinition) -> dict[str, str]:
    """What each recorded transition announces (STARTED is announced by the API's CheckoutRequested)."""
    return {step.records: step.announces for step in (*saga.steps, saga.gives_up)}


def reactions(saga: SagaDefinition) -> dict[str, str]:
    """event name -> the step that reacts to it: forward, then where each failure enters the undo (as the state
    machine's Catches do), then the undo in reverse; a stalled saga is undone from the start of the undo, as an
    operator's forced compensation is."""
    table = {CHECKOUT_REQUESTED: saga.forward[0].name}
    for path in (saga.forward, saga.compensations):
        for before, after in itertools.pairwise(path):
            table[before.announces] = after.name
    for step in saga.forward:
        table[failed(step.name)] = saga.undo_entry(step.name).name
    table[SAGA_STALLED] = saga.compensations[0].name
    table[COMPENSATION_FAILED] = saga.gives_up.name
    return table


def forward_transitions(saga: SagaDefinition) -> dict[str, str]:
    """The transition each forward step records when it takes effect: a step that recorded it emits no failure,
    and (but for the pivot, see `exclusive_steps`) one whose failure is out records nothing (dal/dynamodb_outbox.py)."""
    return {step.name: step.records for step in saga.forward}


def exclusive_steps(saga: SagaDefinition) -> frozenset[str]:
    """Whose recorded transition is refused once its failure was emitted: every forward step but the pivot, which
    is decided by the order's own fence (RefundPayment fences it first, or finds it CONFIRMED and undoes nothing),
    so a ConfirmOrder that took effect must record CONFIRMED, whatever another delivery emitted."""
    return frozenset(step.name for step in saga.forward if step.name != saga.pivot)


TRANSITION_EVENTS = transition_events(CHECKOUT)
REACTIONS = reactions(CHECKOUT)
FORWARD_TRANSITIONS = forward_transitions(CHECKOUT)
EXCLUSIVE_STEPS = exclusive_steps(CHECKOUT)


# Versions (docs/choreography.md, "Versioned events"): producers write the current one; consumers read it and the
# previous one, so that the services can be upgraded one at a time. Each version's JSON Schema, generated from its
# model, is committed in events/schemas/ (tests/unit/test_event_schemas.py keeps them equal).
SCHEMA_VERSION = 2
PREVIOUS_SCHEMA_VERSION = 1


class UnknownEventVersion(ValueError):
    """An event of a version this consumer cannot read (a producer upgraded twice ahead of it)."""


class SagaEventV1(CamelModel):
    """Version 1, the previous one: the same document, with no version of its own."""

    saga_id: OrderId
    name: str
    round: int = Field(default=0, ge=0)
    context: dict[str, Any]


class SagaEvent(SagaEventV1):
    """The `detail` of every event on the bus (version 2, current): the saga document the reacting step takes as
    its input (the state machine's document: items, sealed token, total, and where and why it failed), and the
    version of this shape."""

    schema_version: Literal[2] = Field(default=2, description="The version of this event's shape (SCHEMA_VERSION).")

    @property
    def event_id(self) -> str:
        return event_id(self.saga_id, self.name, self.round)


EVENT_MODELS: dict[int, type[CamelModel]] = {PREVIOUS_SCHEMA_VERSION: SagaEventV1, SCHEMA_VERSION: SagaEvent}


def read_event(detail: dict[str, Any]) -> SagaEvent:
    """An event's detail of the current or the previous version, as the current model. A version-1 event (no
    `schemaVersion`) is read by its own model, then carried over: version 2 only adds the version."""
    version = detail.get("schemaVersion", PREVIOUS_SCHEMA_VERSION)
    if version == SCHEMA_VERSION:
        return SagaEvent.model_validate(detail)
    if version == PREVIOUS_SCHEMA_VERSION:
        return SagaEvent(**SagaEventV1.model_validate(detail).model_dump())
    raise UnknownEventVersion(
        f"event schemaVersion {version!r}: this consumer reads {PREVIOUS_SCHEMA_VERSION} and {SCHEMA_VERSION}"
    )


def event_id(saga_id: str, name: str, round_: int) -> str:
    return f"{saga_id}#{name}#{round_}"
