"""Closed-loop checkout load: each of `concurrency` clients posts a checkout, polls GET /orders/{id} until
the order is terminal, and starts the next one. Measures end-to-end latency, the saga's own duration
(from its history timestamps, independent of polling) and completed sagas per second."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from checkout_saga.clock import parse_iso
from saga_client.api_client import TERMINAL_STATUSES, CheckoutApi
from saga_client.bench_stats import summary

BENCH_SKU = "BENCH-001"
# Enough for every saga a long run can start (a checkout takes one unit).
BENCH_STOCK = 10_000_000


@dataclass(frozen=True)
class SagaSample:
    order_id: str
    status: str
    e2e_ms: float  # POST /checkout sent -> a GET /orders/{id} answered a terminal status
    post_ms: float  # POST /checkout sent -> answered
    saga_ms: float | None  # first -> last saga history timestamp (the saga's own duration)
    polls: int  # GET /orders/{id} calls it took
    finished_at: float  # time.monotonic() when the terminal status was seen


def checkout_body(token: str = "tok_visa", coordination: str = "orchestration") -> dict[str, Any]:
    return {
        "customerId": f"bench-{uuid.uuid4().hex[:8]}",
        "items": [{"sku": BENCH_SKU, "quantity": 1}],
        "paymentToken": token,
        "coordination": coordination,
    }


def seed_bench_stock(api: CheckoutApi) -> None:
    api.put_product({"sku": BENCH_SKU, "name": "Benchmark widget", "unitPriceCents": 1999, "available": BENCH_STOCK})


def saga_duration_ms(order: dict[str, Any]) -> float | None:
    history = order.get("saga", {}).get("history") or []
    if len(history) < 2:
        return None
    first, last = (parse_iso(history[i]["at"]) for i in (0, -1))
    return (last - first).total_seconds() * 1000


def run_saga(
    api: CheckoutApi,
    poll_interval: float,
    token: str = "tok_visa",
    timeout: float = 60.0,
    coordination: str = "orchestration",
) -> SagaSample:
    started = time.perf_counter()
    accepted = api.checkout(checkout_body(token, coordination))
    posted = time.perf_counter()
    deadline = posted + timeout
    polls = 0
    while True:
        order = api.order(accepted["orderId"])
        polls += 1
        if order["status"] in TERMINAL_STATUSES:
            break
        if time.perf_counter() > deadline:
            raise TimeoutError(f"order {accepted['orderId']} still {order['status']} after {timeout:.0f} s")
        time.sleep(poll_interval)
    done = time.perf_counter()
    return SagaSample(
        order_id=accepted["orderId"],
        status=order["status"],
        e2e_ms=(done - started) * 1000,
        post_ms=(posted - started) * 1000,
        saga_ms=saga_duration_ms(order),
        polls=polls,
        finished_at=time.monotonic(),
    )


@dataclass
class LoadResult:
    concurrency: int
    samples: list[SagaSample]
    started_at: float  # monotonic
    window_s: float | None  # the throughput window, when the run had one
    errors: list[str]

    def completed_in_window(self) -> int:
        if self.window_s is None:
            return len(self.samples)
        end = self.started_at + self.window_s
        return sum(1 for sample in self.samples if sample.finished_at <= end)

    def report(self) -> dict[str, Any]:
        samples = self.samples
        sagas = [s.saga_ms for s in samples if s.saga_ms is not None]
        statuses: dict[str, int] = {}
        for sample in samples:
            statuses[sample.status] = statuses.get(sample.status, 0) + 1
        report: dict[str, Any] = {
            "concurrency": self.concurrency,
            "sagas": len(samples),
            "statuses": statuses,
            "errors": len(self.errors),
            "first_errors": self.errors[:3],
            "e2e_ms": summary([s.e2e_ms for s in samples]),
            "saga_history_ms": summary(sagas),
            "post_ms": summary([s.post_ms for s in samples]),
            "polls_per_saga": round(sum(s.polls for s in samples) / len(samples), 2) if samples else None,
        }
        if self.window_s is not None:
            completed = self.completed_in_window()
            report["throughput"] = {
                "window_s": round(self.window_s, 3),
                "completed_in_window": completed,
                "sagas_per_s": round(completed / self.window_s, 2),
            }
        return report


def run_load(
    api_url: str,
    concurrency: int,
    *,
    sagas: int,
    token: str | None = None,
    duration: float | None = None,
    poll_interval: float = 0.005,
    progress: Callable[[str], None] = lambda _: None,
    coordination: str = "orchestration",
) -> LoadResult:
    """Run until `sagas` have completed and, with `duration`, until that many seconds have passed too;
    throughput counts the sagas completed within the first `duration` seconds."""
    samples: list[SagaSample] = []
    errors: list[str] = []
    lock = threading.Lock()
    started = time.monotonic()
    stop = threading.Event()

    def enough() -> bool:
        return len(samples) >= sagas and (duration is None or time.monotonic() - started >= duration)

    def client() -> None:
        api = CheckoutApi(api_url, token=token)
        while not stop.is_set():
            try:
                sample = run_saga(api, poll_interval, coordination=coordination)
            except Exception as exc:  # a failed saga is reported, it does not stop the run
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                    if len(errors) > max(10, sagas // 10):
                        stop.set()
                continue
            with lock:
                samples.append(sample)
                if enough():
                    stop.set()

    threads = [threading.Thread(target=client, name=f"bench-client-{i}", daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        for thread in threads:
            thread.join(timeout=5)
        if not stop.is_set():
            progress(f"    {len(samples)} sagas done after {time.monotonic() - started:.0f} s")
    return LoadResult(concurrency, samples, started, duration, errors)
