"""The events' two measures (docs/events.md): replaying archived events into an empty read model (target: 10,000
in under 10 s), and the read model's lag behind the saga at concurrency 8 (its eventual consistency: within 2 s).
Each checks what it measured (the rebuilt summaries equal the live ones; each saga reached the model)."""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from checkout_saga.clock import iso, parse_iso
from checkout_saga.dal.eventbridge_bus import put_all
from checkout_saga.logic.customer_summary import summarize
from checkout_saga.logic.saga_history import HistoryEvent, PublishedEvent, bus_entry
from checkout_saga.models import OrderStatus
from checkout_saga.saga_definition import CHECKOUT
from saga_client.api_client import CheckoutApi
from saga_client.bench_load import checkout_body
from saga_client.bench_stats import summary
from saga_client.choreography_stack import wait_until_empty
from saga_client.replay import READ_MODEL_QUEUES, replay
from saga_client.stack_data import StackData

_PUT_EVENTS_MAX = 10  # entries per PutEvents request
_CUSTOMERS = 100  # the replayed sagas' customers
_CONFIRMED_PATH = CHECKOUT.forward  # a confirmed checkout's events


def measure_replay(stack: StackData, *, events: int = 10_000, publishers: int = 8) -> dict[str, Any]:
    """Archive `events` history events of confirmed checkouts (as the publisher puts them), let the read model
    take them, drop it, replay them, and compare the rebuilt summaries with the live ones."""
    sagas = max(1, events // len(_CONFIRMED_PATH))
    run = uuid.uuid4().hex[:6]
    customers = [f"bench-replay-{run}-{n}" for n in range(min(_CUSTOMERS, sagas))]
    since = datetime.now(UTC) - timedelta(seconds=1)
    bus = stack.outputs["SagaEventBusName"]
    entries = [
        entry
        for saga in range(sagas)
        for entry in _saga_entries(bus, f"r{run}{saga:06d}", customers[saga % len(customers)])
    ]
    batches = [entries[start : start + _PUT_EVENTS_MAX] for start in range(0, len(entries), _PUT_EVENTS_MAX)]
    with ThreadPoolExecutor(publishers) as pool:
        list(pool.map(lambda batch: put_all(stack.client("events"), batch), batches))
    wait_until_empty(stack, READ_MODEL_QUEUES, timeout=600)
    until = datetime.now(UTC) + timedelta(seconds=1)
    live = {customer: _summary(stack, customer) for customer in customers}
    _drop(stack, customers)
    result = replay(stack, since, until, say=lambda _: None, timeout=600)
    rebuilt = {customer: _summary(stack, customer) for customer in customers}
    return {
        "what": "replay of archived history events into an empty read model, until the projector has them all",
        "events": len(entries),
        "replay_state": result.state,
        "replay_s": round(result.seconds, 2),
        "events_per_s": round(len(entries) / result.seconds, 1) if result.seconds else None,
        "rebuilt_equals_live": rebuilt == live,
    }


def measure_lag(api: CheckoutApi, stack: StackData, *, sagas: int = 200, concurrency: int = 8) -> dict[str, Any]:
    """Confirmed checkouts at `concurrency`: how long after the saga recorded CONFIRMED its customer's summary
    counts it (the saga log's stream, the publisher, the bus, the queue, the projector)."""
    with ThreadPoolExecutor(concurrency) as pool:
        lags = list(pool.map(lambda _: _lag_ms(api, stack), range(sagas)))
    return {
        "what": "CONFIRMED recorded in the saga log -> counted by the customer's summary",
        "concurrency": concurrency,
        "sagas": sagas,
        "lag_ms": summary(lags),
    }


def _lag_ms(api: CheckoutApi, stack: StackData, timeout: float = 60) -> float:
    body = checkout_body()
    order_id = api.checkout(body)["orderId"]
    deadline = time.monotonic() + timeout
    while (saga := stack.saga_log.get(order_id)) is None or saga.status is not OrderStatus.CONFIRMED:
        if time.monotonic() > deadline:
            raise TimeoutError(f"order {order_id} not CONFIRMED after {timeout:.0f} s")
        time.sleep(0.005)
    confirmed_at = parse_iso(saga.history[-1].at)
    while not any(p.spent_cents is not None for p in stack.read_model.projections_of(body["customerId"])):
        if time.monotonic() > deadline:
            raise TimeoutError(f"order {order_id} not in its customer's summary after {timeout:.0f} s")
        time.sleep(0.005)
    return (datetime.now(UTC) - confirmed_at).total_seconds() * 1000


def _saga_entries(bus: str, saga_id: str, customer: str) -> list[dict[str, Any]]:
    """A confirmed checkout's history events as the publisher puts them on the bus, timed now."""
    start = datetime.now(UTC)
    detail = {"orderId": saga_id, "customerId": customer, "amountCents": 1999}
    return [
        bus_entry(
            PublishedEvent(
                saga_id=saga_id,
                kind=CHECKOUT.kind,
                event=HistoryEvent(
                    seq=seq,
                    type=step.announces,
                    at=iso(start + timedelta(milliseconds=seq)),
                    source=step.service,
                    detail=detail | {"state": step.records},
                ),
            ),
            bus,
        )
        for seq, step in enumerate(_CONFIRMED_PATH, start=1)
    ]


def _summary(stack: StackData, customer: str) -> str:
    return json.dumps(summarize(customer, stack.read_model.projections_of(customer)).to_payload(), sort_keys=True)


def _drop(stack: StackData, customers: list[str]) -> None:
    for customer in customers:
        stack.read_model.delete(customer)
