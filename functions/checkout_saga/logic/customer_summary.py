"""The customers' read model (CQRS), kept from the sagas' history events (docs/events.md).

For each saga the model keeps one projection: the set of its event types seen so far, and the facts the summary
needs, each set by the one event that carries it (OrderCreated: when the order was placed; OrderConfirmed: what
was spent; ReturnCompleted: what was refunded). Adding a type to a set and setting a value that one event always
sets the same way commute and repeat harmlessly: a redelivered, duplicated or out-of-order event leaves the same
projection, and so a replay of the archive rebuilds it exactly. A customer's summary is folded from their
projections when it is read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from checkout_saga.logic.saga_history import PublishedEvent
from checkout_saga.models import CamelModel, ProjectionChange, SagaProjection
from checkout_saga.saga_definition import CHECKOUT, RETURN, StepName

ORDER_PLACED = CHECKOUT.step(StepName.CREATE_ORDER).announces
ORDER_CONFIRMED = CHECKOUT.step(StepName.CONFIRM_ORDER).announces
ORDER_CANCELLED = CHECKOUT.step(StepName.CANCEL_ORDER).announces
RETURN_COMPLETED = RETURN.step(StepName.COMPLETE_RETURN).announces


class CustomerSummary(CamelModel):
    customer_id: str
    orders: int = 0
    confirmed: int = 0
    cancelled: int = 0
    returned: int = 0
    spent_cents: int = 0
    refunded_cents: int = 0
    last_order_at: str | None = None


def change_of(published: PublishedEvent) -> ProjectionChange | None:
    """What the event adds to the read model; None for a saga with no known customer (it failed before its
    order or return was stored)."""
    customer_id = published.event.detail.get("customerId")
    if not customer_id:
        return None
    event = published.event
    amount = int(event.detail.get("amountCents") or 0)
    return ProjectionChange(
        customer_id=str(customer_id),
        saga_id=published.saga_id,
        kind=published.kind,
        event_types=frozenset({event.type}),
        placed_at=event.at if event.type == ORDER_PLACED else None,
        spent_cents=amount if event.type == ORDER_CONFIRMED else None,
        refunded_cents=amount if event.type == RETURN_COMPLETED else None,
    )


def by_saga(changes: Iterable[tuple[str, ProjectionChange]]) -> list[tuple[list[str], ProjectionChange]]:
    """The changes of a batch, one per saga, each with the ids of the records it comes from: a saga's events that
    arrive together make one write (a replay of the archive delivers them together). Merging commutes as the
    changes do: the union of the types, and each value from the one event that carries it."""
    groups: dict[tuple[str, str], list[tuple[str, ProjectionChange]]] = {}
    for record_id, change in changes:
        groups.setdefault((change.customer_id, change.saga_id), []).append((record_id, change))
    return [
        ([record_id for record_id, _ in group], _merged([change for _, change in group])) for group in groups.values()
    ]


def _merged(changes: list[ProjectionChange]) -> ProjectionChange:
    def carried(name: str) -> Any:
        return next((value for change in changes if (value := getattr(change, name)) is not None), None)

    return changes[0].model_copy(
        update={
            "event_types": frozenset().union(*(change.event_types for change in changes)),
            "placed_at": carried("placed_at"),
            "spent_cents": carried("spent_cents"),
            "refunded_cents": carried("refunded_cents"),
        }
    )


def summarize(customer_id: str, projections: Iterable[SagaProjection]) -> CustomerSummary:
    summary = CustomerSummary(customer_id=customer_id)
    for projection in projections:
        if projection.kind == RETURN.kind:
            if RETURN_COMPLETED in projection.events:
                summary.returned += 1
                summary.refunded_cents += projection.refunded_cents or 0
            continue
        summary.orders += 1
        if ORDER_CONFIRMED in projection.events:
            summary.confirmed += 1
            summary.spent_cents += projection.spent_cents or 0
        if ORDER_CANCELLED in projection.events:
            summary.cancelled += 1
        if projection.placed_at and (summary.last_order_at is None or projection.placed_at > summary.last_order_at):
            summary.last_order_at = projection.placed_at
    return summary
