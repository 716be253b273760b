"""The customers' read model (CQRS), kept from the sagas' history events (docs/events.md).

For each saga the model keeps its events seen so far, each with the fact the summary needs that it alone carries
(OrderCreated: when the order was placed; OrderConfirmed: what was spent; ReturnCompleted: what was refunded). An
event always makes the same change, and no two events change the same thing: a redelivered, duplicated or
out-of-order event leaves the same projection, and so a replay of the archive rebuilds it exactly. A customer's
summary is folded from their sagas' projections when it is read."""

from __future__ import annotations

from collections.abc import Iterable

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
        event_type=event.type,
        placed_at=event.at if event.type == ORDER_PLACED else None,
        spent_cents=amount if event.type == ORDER_CONFIRMED else None,
        refunded_cents=amount if event.type == RETURN_COMPLETED else None,
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
