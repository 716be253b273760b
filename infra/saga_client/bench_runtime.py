"""The Lambda runtime and the orchestration, measured directly on the deployed functions' real package:

- cold start and warm-invoke overhead of the local cloud's worker processes (WorkerPoolRunner) against
  calling the same handler in this process (InProcessRunner), on the same event, against the same cloud;
- the floor: the saga's four step handlers called one after the other in this process, with no API
  Gateway, no Lambda runtime and no Step Functions in between.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from deployer.packaging import zip_trees
from local_cloud.awslambda.runtime import FunctionSpec, InProcessRunner, InvokeResult, WorkerPoolRunner
from saga_client.aws_session import aws_session
from saga_client.bench_load import BENCH_SKU
from saga_client.bench_stats import summary

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
FORWARD_STEPS = ("create_order", "reserve_stock", "charge_payment", "confirm_order")


def function_specs(endpoint_url: str, stack_name: str, region: str = "us-east-1") -> dict[str, FunctionSpec]:
    """The stack's functions keyed by handler module (e.g. "reserve_stock"), with the package the deployer
    uploaded (the same deterministic zip of functions/) and their deployed configuration."""
    client = aws_session(endpoint_url, region).client("lambda")
    code = zip_trees([ROOT / "functions"])
    specs: dict[str, FunctionSpec] = {}
    for page in client.get_paginator("list_functions").paginate():
        for fn in page["Functions"]:
            logical_id = fn["FunctionName"].removeprefix(f"{stack_name}-")
            if logical_id == fn["FunctionName"] or "-" in logical_id:  # another stack's ("e2e-express-...")
                continue
            module = fn["Handler"].rsplit(".", 2)[-2]
            specs[module] = FunctionSpec(
                function_name=fn["FunctionName"],
                handler=fn["Handler"],
                code_sha=fn["CodeSha256"],
                code_bytes=code,
                environment={**fn.get("Environment", {}).get("Variables", {}), "AWS_ENDPOINT_URL": endpoint_url},
                timeout_seconds=float(fn["Timeout"]),
                memory_mb=int(fn["MemorySize"]),
                region=region,
                function_arn=fn["FunctionArn"],
            )
    return specs


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Handlers log JSON lines to stdout; in this process they would interleave with the report."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


def _timed(call: Callable[[], InvokeResult]) -> tuple[float, InvokeResult]:
    started = time.perf_counter()
    result = call()
    elapsed = (time.perf_counter() - started) * 1000
    if result.errored:
        raise RuntimeError(f"the handler failed: {result.payload[:300]}")
    return elapsed, result


def measure_lambda_runtime(
    endpoint_url: str, spec: FunctionSpec, event: dict[str, Any], *, calls: int = 200, cold_starts: int = 5
) -> dict[str, Any]:
    event_json = json.dumps(event)
    cold: list[float] = []
    init: list[float] = []
    for _ in range(cold_starts):
        fresh = WorkerPoolRunner(endpoint_url, max_workers_per_function=1)
        try:
            elapsed, result = _timed(partial(fresh.invoke, spec, event_json))
        finally:
            fresh.close()
        cold.append(elapsed)
        init.append(result.init_duration_ms or 0.0)

    pool = WorkerPoolRunner(endpoint_url, max_workers_per_function=1)
    local = InProcessRunner(endpoint_url)
    worker_wall: list[float] = []
    worker_overhead: list[float] = []
    inprocess_wall: list[float] = []
    try:
        with _quiet():
            for _ in range(5):  # warm both up: first calls import, connect, fill caches
                _timed(partial(pool.invoke, spec, event_json))
                _timed(partial(local.invoke, spec, event_json))
            for _ in range(calls):  # interleaved, so drift in the cloud's load hits both alike
                elapsed, result = _timed(partial(pool.invoke, spec, event_json))
                worker_wall.append(elapsed)
                worker_overhead.append(elapsed - result.duration_ms)
                elapsed, _ = _timed(partial(local.invoke, spec, event_json))
                inprocess_wall.append(elapsed)
            forked_cold, forked_init = _cold_starts_in_a_running_pool(pool, spec, event_json, cold_starts)
    finally:
        pool.close()
        local.close()
    worker, inprocess = summary(worker_wall), summary(inprocess_wall)
    return {
        "function": spec.function_name,
        "event": "events/reserve_stock.json (after its first call, every call replays the same reservation)",
        # A new pool starts its zygote first (a new cloud's first cold start); a running cloud forks from its own.
        "cold_start_ms": {
            "first_invoke": summary(cold),
            "init": summary(init),
            "in_running_pool": {"first_invoke": summary(forked_cold), "init": summary(forked_init)},
        },
        "warm_worker_ms": worker,
        "warm_inprocess_ms": inprocess,
        # The worker reports the handler's own time: the rest is the runtime's (pipes, framing, logs).
        "warm_invoke_overhead_ms": summary(worker_overhead),
        "warm_p50_difference_ms": round(worker["p50"] - inprocess["p50"], 3),
    }


def _cold_starts_in_a_running_pool(
    pool: WorkerPoolRunner, spec: FunctionSpec, event_json: str, count: int
) -> tuple[list[float], list[float]]:
    """Cold starts as a running cloud has them, in `pool`, whose zygote is up: each call's function configuration
    is new (one variable more), so each needs a new worker, forked."""
    walls: list[float] = []
    inits: list[float] = []
    for number in range(count):
        changed = replace(spec, environment={**spec.environment, "BENCH_COLD_START": str(number)})
        elapsed, result = _timed(partial(pool.invoke, changed, event_json))
        walls.append(elapsed)
        inits.append(result.init_duration_ms or 0.0)
    return walls, inits


def measure_floor(
    endpoint_url: str, specs: dict[str, FunctionSpec], *, sagas: int = 50, token: str = "tok_visa"
) -> dict[str, Any]:
    """The four forward steps' handlers in this process, one after the other, on fresh orders."""
    runner = InProcessRunner(endpoint_url)
    totals: list[float] = []
    per_step: dict[str, list[float]] = {step: [] for step in FORWARD_STEPS}
    try:
        with _quiet():
            for number in range(sagas + 5):  # the first 5 warm up (imports, clients)
                document: Any = {
                    "orderId": f"floor-{uuid.uuid4().hex}",
                    "customerId": "bench-floor",
                    "items": [{"sku": BENCH_SKU, "quantity": 1, "unitPriceCents": 1999}],
                    "paymentToken": token,
                }
                started = time.perf_counter()
                for step in FORWARD_STEPS:
                    event_json = json.dumps(document)
                    elapsed, result = _timed(partial(runner.invoke, specs[step], event_json))
                    document = json.loads(result.payload)
                    if number >= 5:
                        per_step[step].append(elapsed)
                if number >= 5:
                    totals.append((time.perf_counter() - started) * 1000)
    finally:
        runner.close()
    return {
        "what": "CreateOrder, ReserveStock, ChargePayment, ConfirmOrder handlers called in one process",
        "sagas": len(totals),
        "saga_ms": summary(totals),
        "step_p50_ms": {step: summary(values)["p50"] for step, values in per_step.items()},
    }


def load_event(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / f"{name}.json").read_text()))
