"""A saga's domain events, derived from its log: the one history of a saga, whatever its coordination
(docs/events.md).

Both coordinations record the same transitions and failures in the saga log (the state machine's steps directly,
the choreographed ones with their outbox event), so the history is read from there, not from the outbox: its
items expire, and an orchestrated saga writes none. Each transition is the event its step announces
(`saga_definition.py`: `OrderCreated`, ..., `OrderCancelled`); a failure is `<Step>Failed` (`saga_events.failed`),
placed where the saga turned back: before the first undo's transition (a compensation's failure, before the last
resort's). STARTED is the request, not a service's event, and is left out.

Every event carries the saga's facts in its detail (the order, its customer, its amount), so that a read model
can be built from the events alone (logic/customer_summary.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from checkout_saga.clock import parse_iso
from checkout_saga.dal.interfaces import OrdersRepository, ReturnsRepository, SagaLogRepository
from checkout_saga.models import CamelModel, SagaFailure, SagaRecord
from checkout_saga.saga_definition import CHECKOUT, RETURN, SagaDefinition, Step
from checkout_saga.saga_events import failed

HISTORY_SOURCE = "checkout-saga.history"  # the bus's `source` of history events: no service's rule matches it


class SagaFacts(CamelModel):
    """What every event of one saga carries: its order and customer, and its amount (a checkout: the order's
    total; a return: its refund). `return_id` is set for a return saga."""

    order_id: str
    customer_id: str | None = None
    amount_cents: int = 0
    return_id: str | None = None


class HistoryEvent(CamelModel):
    seq: int
    type: str
    at: str
    source: str
    detail: dict[str, Any]


class PublishedEvent(CamelModel):
    """The `detail` of a history event on the bus: which saga, of which kind, and the event itself."""

    saga_id: str
    kind: str
    event: HistoryEvent


def history_of(record: SagaRecord, saga: SagaDefinition, facts: SagaFacts) -> list[HistoryEvent]:
    """The saga's events in order, numbered from 1."""
    by_state = {step.records: step for step in (*saga.steps, saga.gives_up)}
    undo_states = {step.records for step in saga.compensations}
    base = facts.to_payload(exclude_none=True)
    entries: list[tuple[str, str, str, dict[str, Any]]] = []  # type, at, source, detail
    for transition in record.history:
        step = by_state.get(transition.state)
        if step is None:  # STARTED
            continue
        entries.append((step.announces, transition.at, step.service, base | {"state": transition.state.value}))
    if record.failure is not None:
        first_undo = next((i for i, entry in enumerate(entries) if entry[3].get("state") in undo_states), len(entries))
        entries.insert(first_undo, _failure_entry(record.failure, record.failure_at, record.updated_at, saga, base))
    if record.compensation_failure is not None:
        last_resort = saga.gives_up.announces
        position = next((i for i, entry in enumerate(entries) if entry[0] == last_resort), len(entries))
        at = record.compensation_failure_at
        entries.insert(position, _failure_entry(record.compensation_failure, at, record.updated_at, saga, base))
    return [
        HistoryEvent(seq=seq, type=type_, at=at, source=source, detail=detail)
        for seq, (type_, at, source, detail) in enumerate(entries, start=1)
    ]


def _failure_entry(
    failure: SagaFailure, at: str | None, fallback_at: str, saga: SagaDefinition, base: dict[str, Any]
) -> tuple[str, str, str, dict[str, Any]]:
    detail = base | {"step": failure.step, "error": failure.error, "cause": failure.cause}
    return failed(failure.step), at or fallback_at, _service_of(saga, failure.step), detail


def _service_of(saga: SagaDefinition, step_name: str) -> str:
    try:
        step: Step = saga.step(step_name)
    except KeyError:  # not one of the saga's steps (none today): the saga itself
        return saga.kind
    return step.service


def facts_of(
    record: SagaRecord, saga: SagaDefinition, orders: OrdersRepository, returns: ReturnsRepository
) -> SagaFacts:
    """The saga's facts, read from its order (and its return): a saga that failed before its order was stored
    has only its customer (the log's) and no amount."""
    if saga is RETURN:
        return_record = returns.get(record.saga_id)
        order_id = return_record.order_id if return_record is not None else ""
        order = orders.get(order_id) if order_id else None
        return SagaFacts(
            order_id=order_id,
            return_id=record.saga_id,
            customer_id=order.customer_id if order is not None else record.customer_id,
            amount_cents=return_record.refund_cents if return_record is not None else 0,
        )
    order = orders.get(record.saga_id)
    return SagaFacts(
        order_id=record.saga_id,
        customer_id=record.customer_id or (order.customer_id if order is not None else None),
        amount_cents=order.total_cents if order is not None else 0,
    )


def find_history(
    saga_id: str,
    saga_log: SagaLogRepository,
    return_saga_log: SagaLogRepository,
    orders: OrdersRepository,
    returns: ReturnsRepository,
) -> tuple[SagaFacts, list[HistoryEvent]] | None:
    """The history of the checkout or the return saga `saga_id` (a checkout's log is looked up first), with its
    facts; None if neither log has it."""
    for saga, log in ((CHECKOUT, saga_log), (RETURN, return_saga_log)):
        record = log.get(saga_id)
        if record is not None:
            facts = facts_of(record, saga, orders, returns)
            return facts, history_of(record, saga, facts)
    return None


def added_events(
    before: SagaRecord | None, after: SagaRecord, saga: SagaDefinition, facts_of_saga: Callable[[], SagaFacts]
) -> list[HistoryEvent]:
    """The events a change of the saga's log item added (what its stream hands on): each type occurs once in a
    saga, so the types `before` lacks. The facts are read only when something was added."""
    nothing = SagaFacts(order_id="")
    seen = {event.type for event in history_of(before, saga, nothing)} if before is not None else set()
    if {event.type for event in history_of(after, saga, nothing)} <= seen:
        return []
    return [event for event in history_of(after, saga, facts_of_saga()) if event.type not in seen]


def bus_entry(published: PublishedEvent, bus: str) -> dict[str, Any]:
    """The PutEvents entry of a history event: its time is the event's own (a replay's window selects by it)."""
    return {
        "Source": HISTORY_SOURCE,
        "DetailType": published.event.type,
        "Detail": published.model_dump_json(by_alias=True),
        "Time": parse_iso(published.event.at),
        "EventBusName": bus,
    }
