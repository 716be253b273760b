"""What 1,000 checkouts would cost on AWS, from counts measured on the local cloud, per saga outcome.

For each outcome the phase runs sagas one after the other through the API (POST /checkout, then waits on
the execution), then reads each order once (GET /orders/{id}), and takes:
- Step Functions state transitions from each execution's real history (every state entered, plus every
  retry), and the execution's duration for the Express comparison;
- Lambda requests and billed GB-seconds, and DynamoDB requests and request units, from the local cloud's
  usage meter (local_cloud.usage_meter), as the difference before and after, per function;
- API Gateway requests as the client made them.
Then multiplies them by the price table (aws_prices).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from local_cloud.netutil import health
from saga_client import aws_prices as prices
from saga_client.api_client import CheckoutApi
from saga_client.aws_session import aws_session
from saga_client.bench_load import checkout_body

# (outcome, payment token, faults while it runs, the order's final status)
OUTCOMES: tuple[tuple[str, str, dict[str, Any] | None, str], ...] = (
    ("confirmed", "tok_visa", None, "CONFIRMED"),
    ("declined", "tok_declined", None, "CANCELLED"),
    ("compensated after ConfirmOrder fails", "tok_visa", {"ConfirmOrder": {"mode": "fail", "rate": 1.0}}, "CANCELLED"),
)
FAULTS_SETTLE_S = 2.5  # the steps re-read the faults parameter within 2 s
BENCH_CALLER = "admin"  # the benchmark's own calls (signed with the account's keys) are not the saga's


def usage(endpoint: str) -> dict[str, Any]:
    parts = urlsplit(endpoint)
    figures = health(parts.hostname or "127.0.0.1", parts.port or 80)
    found = (figures or {}).get("usage")
    if not isinstance(found, dict):
        raise RuntimeError("the local cloud reports no usage figures: restart it with this version (make down)")
    return found


def usage_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, dict[str, float]]]:
    """Per function: Lambda requests/billedMs/gbSeconds and DynamoDB requests/readUnits/writeUnits (and
    requests per operation), consumed between two usage snapshots."""
    by_function: dict[str, dict[str, float]] = {}

    def add(name: str, key: str, value: float) -> None:
        if value:
            counts = by_function.setdefault(name, {})
            counts[key] = counts.get(key, 0.0) + value

    for kind, rows in (("lambda", after["lambda"]), ("dynamodb", after["dynamodb"])):
        earlier = {_row_key(kind, row): row for row in before[kind]}
        for row in rows:
            if kind == "dynamodb" and row["caller"] == BENCH_CALLER:
                continue
            name = row["function"] if kind == "lambda" else row["caller"]
            base = earlier.get(_row_key(kind, row), {})
            fields = (
                ("requests", "billedMs", "gbSeconds") if kind == "lambda" else ("requests", "readUnits", "writeUnits")
            )
            for field in fields:
                key = f"lambda_{field}" if kind == "lambda" else f"dynamodb_{field}"
                add(name, key, row[field] - base.get(field, 0))
            if kind == "dynamodb":
                add(name, f"op:{row['operation']}", row["requests"] - base.get("requests", 0))
    return {"by_function": by_function}


def _row_key(kind: str, row: dict[str, Any]) -> tuple[str, ...]:
    return (row["function"],) if kind == "lambda" else (row["caller"], row["operation"])


def state_transitions(events: Iterable[dict[str, Any]]) -> int:
    """As Step Functions Standard bills them: each state entered, and each retry of a Task."""
    entered = scheduled = tasks = 0
    for event in events:
        kind = str(event["type"])
        if kind.endswith("StateEntered"):
            entered += 1
            tasks += kind == "TaskStateEntered"
        elif kind in ("LambdaFunctionScheduled", "TaskScheduled"):
            scheduled += 1
    return entered + max(0, scheduled - tasks)


def _history(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
        events.extend(page["events"])
    return events


def _wait_ended(sfn: Any, execution_arn: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        execution = sfn.describe_execution(executionArn=execution_arn)
        if execution["status"] != "RUNNING":
            return dict(execution)
        if time.monotonic() > deadline:
            raise TimeoutError(f"{execution_arn} still RUNNING after {timeout:.0f} s")
        time.sleep(0.01)


@contextmanager
def _faults(ssm: Any, parameter: str | None, faults: dict[str, Any] | None) -> Iterator[None]:
    if not faults:
        yield
        return
    if parameter is None:
        raise RuntimeError("this outcome needs fault injection: deploy with EnableFaultInjection=true")
    ssm.put_parameter(Name=parameter, Value=json.dumps(faults), Type="String", Overwrite=True)
    time.sleep(FAULTS_SETTLE_S)
    try:
        yield
    finally:
        ssm.put_parameter(Name=parameter, Value="{}", Type="String", Overwrite=True)
        time.sleep(FAULTS_SETTLE_S)


def measure_outcome(
    endpoint: str, api: CheckoutApi, sfn: Any, token: str, expected_status: str, sagas: int
) -> dict[str, Any]:
    before = usage(endpoint)
    executions = []
    for _ in range(sagas):
        accepted = api.checkout(checkout_body(token))
        executions.append((accepted["orderId"], _wait_ended(sfn, accepted["executionArn"])))
    after_sagas = usage(endpoint)
    statuses = [api.order(order_id)["status"] for order_id, _ in executions]
    after_reads = usage(endpoint)
    if any(status != expected_status for status in statuses):
        raise RuntimeError(f"expected every order {expected_status}, got {sorted(set(statuses))}")
    transitions = [state_transitions(_history(sfn, execution["executionArn"])) for _, execution in executions]
    durations = [_duration_ms(execution) for _, execution in executions]
    saga = _per_saga(usage_delta(before, after_sagas), sagas)
    read = _per_saga(usage_delta(after_sagas, after_reads), sagas)
    return {
        "sagas": sagas,
        "final_status": expected_status,
        "state_transitions": sum(transitions) / sagas,
        "execution_ms": sum(durations) / sagas,
        "express_billed_ms": sum(_express_billed_ms(ms) for ms in durations) / sagas,
        "apigateway_requests": 1,
        "per_function": saga,
        "totals": _totals(saga),
        "one_order_read": {"apigateway_requests": 1, **_totals(read)},
    }


def _duration_ms(execution: dict[str, Any]) -> float:
    start, stop = execution["startDate"], execution["stopDate"]
    if isinstance(start, str):
        start, stop = datetime.fromisoformat(start), datetime.fromisoformat(stop)
    return float((stop - start).total_seconds() * 1000)


def _express_billed_ms(duration_ms: float) -> int:
    step = prices.EXPRESS_DURATION_STEP_MS
    return max(step, math.ceil(duration_ms / step) * step)


def _per_saga(delta: dict[str, dict[str, dict[str, float]]], sagas: int) -> dict[str, dict[str, float]]:
    return {
        name: {key: round(value / sagas, 4) for key, value in sorted(counts.items())}
        for name, counts in sorted(delta["by_function"].items())
    }


def _totals(per_function: dict[str, dict[str, float]]) -> dict[str, float]:
    keys = (
        "lambda_requests",
        "lambda_gbSeconds",
        "dynamodb_requests",
        "dynamodb_readUnits",
        "dynamodb_writeUnits",
    )
    return {key: round(sum(counts.get(key, 0.0) for counts in per_function.values()), 4) for key in keys}


def cost_per_1000(outcome: dict[str, Any]) -> dict[str, Any]:
    """Dollars per 1,000 sagas of this outcome (each read once), Standard and Express side by side."""
    totals, read = outcome["totals"], outcome["one_order_read"]
    lambda_requests = totals["lambda_requests"] + read["lambda_requests"]
    common = {
        "lambda": lambda_requests * prices.LAMBDA_PER_REQUEST
        + (totals["lambda_gbSeconds"] + read["lambda_gbSeconds"]) * prices.LAMBDA_PER_GB_SECOND,
        "dynamodb": (totals["dynamodb_readUnits"] + read["dynamodb_readUnits"]) * prices.DYNAMODB_PER_READ_UNIT
        + (totals["dynamodb_writeUnits"] + read["dynamodb_writeUnits"]) * prices.DYNAMODB_PER_WRITE_UNIT,
        "apigateway": (outcome["apigateway_requests"] + read["apigateway_requests"])
        * prices.APIGATEWAY_REST_PER_REQUEST,
    }
    standard = outcome["state_transitions"] * prices.STANDARD_PER_TRANSITION
    express = prices.EXPRESS_PER_REQUEST + (
        prices.EXPRESS_MEMORY_MB / 1024 * outcome["express_billed_ms"] / 1000 * prices.EXPRESS_PER_GB_SECOND
    )
    result: dict[str, Any] = {}
    for workflow, orchestration in (("standard", standard), ("express", express)):
        parts = {"stepfunctions": orchestration, **common}
        result[workflow] = {key: round(value * 1000, 5) for key, value in parts.items()}
        result[workflow]["total"] = round(sum(parts.values()) * 1000, 5)
    return result


def run_costs(
    endpoint: str,
    api: CheckoutApi,
    outputs: dict[str, str],
    sagas: int,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    session = aws_session(endpoint)
    sfn, ssm = session.client("stepfunctions"), session.client("ssm")
    parameter = outputs.get("FaultsParameterName")
    outcomes: dict[str, Any] = {}
    for name, token, faults, status in OUTCOMES:
        if faults and parameter is None:
            progress(f"    {name}: skipped (no fault injection in this deployment)")
            continue
        progress(f"    {name}: {sagas} sagas")
        with _faults(ssm, parameter, faults):
            outcome = measure_outcome(endpoint, api, sfn, token, status, sagas)
        outcome["cost_per_1000_usd"] = cost_per_1000(outcome)
        outcomes[name] = outcome
    return {
        "prices": {
            "region": prices.REGION,
            "recorded_on": prices.RECORDED_ON,
            "sources": prices.SOURCES,
        },
        "client": "POST /checkout, then one GET /orders/{id} per saga (each extra poll costs one more read)",
        "outcomes": outcomes,
    }


def render_cost_rows(costs: dict[str, Any]) -> list[tuple[str, str]]:
    """The cost phase as (label, value) rows of the bench table."""
    rows: list[tuple[str, str]] = []
    for name, outcome in costs.get("outcomes", {}).items():
        totals, dollars = outcome["totals"], outcome["cost_per_1000_usd"]
        rows.append(
            (
                f"per saga {name}: transitions / Lambda calls / DynamoDB requests",
                f"{outcome['state_transitions']:.0f} / {totals['lambda_requests']:.0f} / "
                f"{totals['dynamodb_requests']:.0f} (RRU {totals['dynamodb_readUnits']:g}, "
                f"WRU {totals['dynamodb_writeUnits']:g}, {totals['lambda_gbSeconds']:.4f} GB-s)",
            )
        )
        steps = ", ".join(
            f"{_step_label(function)} {counts.get('dynamodb_requests', 0):g}"
            for function, counts in outcome["per_function"].items()
            if counts.get("dynamodb_requests")
        )
        rows.append(("  DynamoDB requests by function", steps))
        rows.append(
            (
                "  USD per 1,000 (+1 read each): Standard / Express",
                f"{dollars['standard']['total']:.4f} / {dollars['express']['total']:.4f} "
                f"(Step Functions {dollars['standard']['stepfunctions']:.4f} / "
                f"{dollars['express']['stepfunctions']:.4f})",
            )
        )
    return rows


def _step_label(function_name: str) -> str:
    """checkout-saga-ReserveStockFunction -> ReserveStock (the stack's prefix and the suffix dropped)."""
    return function_name.rpartition("-")[2].removesuffix("Function") or function_name
