"""The chaos run's invariant of the events (docs/events.md, docs/chaos.md): 7. the customers' read model agrees
with the saga logs (each saga's projection holds the types of its history), and dropping those projections and
replaying the archive rebuilds them exactly."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime

from checkout_saga.logic.saga_history import facts_of, history_of
from checkout_saga.models import SagaProjection
from checkout_saga.saga_definition import CHECKOUT, RETURN
from saga_client.replay import replay
from saga_client.stack_data import StackData


def check_read_model(
    stack: StackData, checkouts: Iterable[str], returns: Iterable[str], since: datetime, timeout: float = 60
) -> list[str]:
    """Violations of invariant 7 for these sagas (their ids), whose events were all published after `since`."""
    expected = _expected(stack, checkouts, returns)
    deadline = time.monotonic() + timeout
    while (live := _projections(stack, expected)) != expected:
        if time.monotonic() > deadline:
            return [
                f"7: saga {saga_id} of {customer}: the read model has {sorted(live.get((customer, saga_id), set()))}, "
                f"its history {sorted(types)}"
                for (customer, saga_id), types in expected.items()
                if live.get((customer, saga_id)) != types
            ]
        time.sleep(0.2)
    before = _items(stack, expected)
    for customer in {customer for customer, _ in expected}:
        stack.read_model.delete(customer, [saga_id for owner, saga_id in expected if owner == customer])
    result = replay(stack, since, say=lambda _: None)
    if result.state != "COMPLETED":
        return [f"7: the replay {result.name} ended {result.state}: {result.reason}"]
    rebuilt = _items(stack, expected)
    return [
        f"7: saga {saga_id} of {customer}: rebuilt {rebuilt.get((customer, saga_id))}, live {projection}"
        for (customer, saga_id), projection in before.items()
        if rebuilt.get((customer, saga_id)) != projection
    ]


def _expected(stack: StackData, checkouts: Iterable[str], returns: Iterable[str]) -> dict[tuple[str, str], set[str]]:
    """(customer, saga id) -> the event types of the saga's history, for every saga with a customer."""
    expected: dict[tuple[str, str], set[str]] = {}
    for saga, log, ids in ((CHECKOUT, stack.saga_log, checkouts), (RETURN, stack.return_saga_log, returns)):
        for saga_id in ids:
            record = log.get(saga_id)
            if record is None:
                continue
            facts = facts_of(record, saga, stack.orders, stack.returns)
            types = {event.type for event in history_of(record, saga, facts)}
            if facts.customer_id and types:
                expected[facts.customer_id, saga_id] = types
    return expected


def _items(stack: StackData, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], SagaProjection]:
    wanted = set(keys)
    found: dict[tuple[str, str], SagaProjection] = {}
    for customer in {customer for customer, _ in wanted}:
        for projection in stack.read_model.projections_of(customer):
            if (customer, projection.saga_id) in wanted:
                found[customer, projection.saga_id] = projection
    return found


def _projections(stack: StackData, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
    return {key: projection.events for key, projection in _items(stack, keys).items()}
