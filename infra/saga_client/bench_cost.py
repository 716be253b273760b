"""What 1,000 checkouts would cost on AWS, from counts measured on the local cloud, per saga outcome and per
workflow type.

For each outcome the phase runs sagas one after the other through the API (POST /checkout, then waits for the saga
to end), then reads each order once (GET /orders/{id}), on two stacks: the Standard checkout and an Express one
(CheckoutWorkflowType=EXPRESS) beside it. It takes:
- Standard: the state transitions from each execution's real history (every state entered, plus every retry);
- Express: the executions and their billed duration (100 ms steps, 64 MB), as the local cloud meters each Express
  execution at its end (there is no history to read);
- Lambda requests and billed GB-seconds, and DynamoDB requests and request units, from the local cloud's
  usage meter (local_cloud.usage_meter), as the difference before and after, per function, on each stack;
- API Gateway requests as the client made them.
Then multiplies them by the price table (aws_prices).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from local_cloud.netutil import health
from saga_client import aws_prices as prices
from saga_client.api_client import CheckoutApi
from saga_client.aws_session import aws_session
from saga_client.bench_load import checkout_body
from saga_client.choreography_stack import ENDED
from saga_client.express_runs import wait_for_saga
from saga_client.stack_data import CHECKOUT, StackData

# (outcome, payment token, faults while it runs, the order's final status)
OUTCOMES: tuple[tuple[str, str, dict[str, Any] | None, str], ...] = (
    ("confirmed", "tok_visa", None, "CONFIRMED"),
    ("declined", "tok_declined", None, "CANCELLED"),
    ("compensated after ConfirmOrder fails", "tok_visa", {"ConfirmOrder": {"mode": "fail", "rate": 1.0}}, "CANCELLED"),
)
FAULTS_SETTLE_S = 2.5  # the steps re-read the faults parameter within 2 s
SAGA_TIMEOUT_S = 60.0
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


def express_delta(before: dict[str, Any], after: dict[str, Any], machine_arn: str) -> dict[str, float]:
    """The Express executions of `machine_arn` (or of its versions) metered between two usage snapshots."""

    def of_machine(snapshot: dict[str, Any]) -> dict[str, float]:
        rows = [
            row
            for row in snapshot.get("express", [])
            if row["stateMachine"] == machine_arn or row["stateMachine"].startswith(f"{machine_arn}:")
        ]
        return {key: float(sum(row[key] for row in rows)) for key in ("executions", "billedMs", "gbSeconds")}

    first, last = of_machine(before), of_machine(after)
    return {key: last[key] - first[key] for key in last}


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
    """`sagas` on the Standard checkout: its state transitions from each execution's history."""
    before = usage(endpoint)
    executions = []
    for _ in range(sagas):
        accepted = api.checkout(checkout_body(token))
        executions.append((accepted["orderId"], _wait_ended(sfn, accepted["executionArn"])))
    after_sagas = usage(endpoint)
    order_ids = [order_id for order_id, _ in executions]
    after_reads = _read_orders(endpoint, api, order_ids, expected_status)
    transitions = [state_transitions(_history(sfn, execution["executionArn"])) for _, execution in executions]
    durations = [_duration_ms(execution) for _, execution in executions]
    return {
        "state_transitions": sum(transitions) / sagas,
        "execution_ms": sum(durations) / sagas,
        **_counted(before, after_sagas, after_reads, sagas, expected_status),
    }


def measure_express_outcome(
    endpoint: str, api: CheckoutApi, stack: StackData, token: str, expected_status: str, sagas: int
) -> dict[str, Any]:
    """`sagas` on the Express checkout: its executions and billed duration as the local cloud metered them."""
    machine = stack.outputs[CHECKOUT]
    before = usage(endpoint)
    order_ids = []
    for _ in range(sagas):
        order_id = api.checkout(checkout_body(token))["orderId"]
        saga = wait_for_saga(stack, order_id, lambda saga: saga.status.value in ENDED, timeout=SAGA_TIMEOUT_S)
        if saga is None or saga.status.value not in ENDED:
            raise TimeoutError(f"the Express saga {order_id} did not end within {SAGA_TIMEOUT_S:.0f} s")
        order_ids.append(order_id)
    after_sagas = _wait_metered(endpoint, before, machine, sagas)
    after_reads = _read_orders(endpoint, api, order_ids, expected_status)
    billed = express_delta(before, after_sagas, machine)
    return {
        "executions": billed["executions"] / sagas,
        "billed_ms": billed["billedMs"] / sagas,
        "gb_seconds": billed["gbSeconds"] / sagas,
        **_counted(before, after_sagas, after_reads, sagas, expected_status),
    }


def _wait_metered(endpoint: str, before: dict[str, Any], machine: str, executions: int) -> dict[str, Any]:
    """Usage once the machine's `executions` have ended: an execution ends just after its saga's last write, and
    its last function call is metered only then."""
    deadline = time.monotonic() + SAGA_TIMEOUT_S
    while True:
        now = usage(endpoint)
        if express_delta(before, now, machine)["executions"] >= executions:
            return now
        if time.monotonic() > deadline:
            raise TimeoutError(f"{executions} Express executions of {machine} not metered in {SAGA_TIMEOUT_S:.0f} s")
        time.sleep(0.05)


def _read_orders(endpoint: str, api: CheckoutApi, order_ids: list[str], expected_status: str) -> dict[str, Any]:
    """Each order read once; the usage after."""
    statuses = [api.order(order_id)["status"] for order_id in order_ids]
    if any(status != expected_status for status in statuses):
        raise RuntimeError(f"expected every order {expected_status}, got {sorted(set(statuses))}")
    return usage(endpoint)


def _counted(
    before: dict[str, Any], after_sagas: dict[str, Any], after_reads: dict[str, Any], sagas: int, status: str
) -> dict[str, Any]:
    saga = _per_saga(usage_delta(before, after_sagas), sagas)
    read = _per_saga(usage_delta(after_sagas, after_reads), sagas)
    return {
        "sagas": sagas,
        "final_status": status,
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


def cost_per_1000(standard: dict[str, Any], express: dict[str, Any]) -> dict[str, Any]:
    """Dollars per 1,000 sagas of this outcome (each read once), each workflow type from its own runs."""
    result: dict[str, Any] = {}
    for workflow, outcome, orchestration in (
        ("standard", standard, standard["state_transitions"] * prices.STANDARD_PER_TRANSITION),
        (
            "express",
            express,
            express["executions"] * prices.EXPRESS_PER_REQUEST + express["gb_seconds"] * prices.EXPRESS_PER_GB_SECOND,
        ),
    ):
        parts = {"stepfunctions": orchestration, **_common_costs(outcome)}
        result[workflow] = {key: round(value * 1000, 5) for key, value in parts.items()}
        result[workflow]["total"] = round(sum(parts.values()) * 1000, 5)
    return result


def _common_costs(outcome: dict[str, Any]) -> dict[str, float]:
    """Lambda, DynamoDB and API Gateway, per saga and its one read."""
    totals, read = outcome["totals"], outcome["one_order_read"]
    return {
        "lambda": (totals["lambda_requests"] + read["lambda_requests"]) * prices.LAMBDA_PER_REQUEST
        + (totals["lambda_gbSeconds"] + read["lambda_gbSeconds"]) * prices.LAMBDA_PER_GB_SECOND,
        "dynamodb": (totals["dynamodb_readUnits"] + read["dynamodb_readUnits"]) * prices.DYNAMODB_PER_READ_UNIT
        + (totals["dynamodb_writeUnits"] + read["dynamodb_writeUnits"]) * prices.DYNAMODB_PER_WRITE_UNIT,
        "apigateway": (outcome["apigateway_requests"] + read["apigateway_requests"])
        * prices.APIGATEWAY_REST_PER_REQUEST,
    }


@dataclass(frozen=True)
class CostStack:
    """A stack the cost phase runs its sagas on: its outputs, and an API client with an operator's token."""

    outputs: dict[str, str]
    api: CheckoutApi


def run_costs(
    endpoint: str,
    standard: CostStack,
    express: CostStack,
    sagas: int,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    session = aws_session(endpoint)
    sfn, ssm = session.client("stepfunctions"), session.client("ssm")
    express_stack = StackData(express.outputs, endpoint)
    outcomes: dict[str, Any] = {}
    for name, token, faults, status in OUTCOMES:
        parameters = (standard.outputs.get("FaultsParameterName"), express.outputs.get("FaultsParameterName"))
        if faults and None in parameters:
            progress(f"    {name}: skipped (no fault injection in this deployment)")
            continue
        progress(f"    {name}: {sagas} sagas on the Standard checkout, {sagas} on the Express one")
        with _faults(ssm, parameters[0], faults):
            outcome = measure_outcome(endpoint, standard.api, sfn, token, status, sagas)
        with _faults(ssm, parameters[1], faults):
            outcome["express"] = measure_express_outcome(endpoint, express.api, express_stack, token, status, sagas)
        outcome["cost_per_1000_usd"] = cost_per_1000(outcome, outcome["express"])
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
        express = outcome["express"]
        rows.append(
            (
                "  Express (its own runs): executions / billed ms / Lambda calls / DynamoDB requests",
                f"{express['executions']:g} / {express['billed_ms']:.0f} / "
                f"{express['totals']['lambda_requests']:.0f} / {express['totals']['dynamodb_requests']:.0f}",
            )
        )
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
