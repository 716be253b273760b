"""The cost phase's arithmetic: transitions read from a history, usage differences per function, dollars."""

from __future__ import annotations

import pytest

from saga_client import aws_prices as prices
from saga_client.bench_cost import cost_per_1000, express_delta, render_cost_rows, state_transitions, usage_delta


def test_state_transitions_count_states_entered_and_retries() -> None:
    events = [
        {"type": "ExecutionStarted"},
        {"type": "ChoiceStateEntered"},
        {"type": "TaskStateEntered"},
        {"type": "LambdaFunctionScheduled"},
        {"type": "LambdaFunctionFailed"},
        {"type": "LambdaFunctionScheduled"},  # a retry: one more transition
        {"type": "LambdaFunctionSucceeded"},
        {"type": "SucceedStateEntered"},
        {"type": "ExecutionSucceeded"},
    ]
    assert state_transitions(events) == 4


def test_usage_delta_is_per_function_without_the_benchmarks_own_calls() -> None:
    before = {
        "dynamodb": [{"caller": "fn-A", "operation": "GetItem", "requests": 2, "readUnits": 2.0, "writeUnits": 0.0}],
        "lambda": [{"function": "fn-A", "requests": 1, "billedMs": 10, "gbSeconds": 0.0025, "memoryMb": 256}],
    }
    after = {
        "dynamodb": [
            {"caller": "admin", "operation": "Query", "requests": 9, "readUnits": 9.0, "writeUnits": 0.0},
            {"caller": "fn-A", "operation": "GetItem", "requests": 5, "readUnits": 3.5, "writeUnits": 0.0},
            {"caller": "fn-A", "operation": "PutItem", "requests": 1, "readUnits": 0.0, "writeUnits": 2.0},
        ],
        "lambda": [{"function": "fn-A", "requests": 4, "billedMs": 40, "gbSeconds": 0.01, "memoryMb": 256}],
    }
    delta = usage_delta(before, after)["by_function"]
    assert set(delta) == {"fn-A"}
    assert delta["fn-A"] == {
        "dynamodb_requests": 4,
        "dynamodb_readUnits": 1.5,
        "dynamodb_writeUnits": 2.0,
        "op:GetItem": 3,
        "op:PutItem": 1,
        "lambda_requests": 3,
        "lambda_billedMs": 30,
        "lambda_gbSeconds": pytest.approx(0.0075),
    }


def test_cost_per_1000_multiplies_the_counts_by_the_price_table() -> None:
    totals = {
        "lambda_requests": 5.0,
        "lambda_gbSeconds": 0.02,
        "dynamodb_requests": 12.0,
        "dynamodb_readUnits": 2.0,
        "dynamodb_writeUnits": 20.0,
    }
    read = {**dict.fromkeys(totals, 0.0), "lambda_requests": 1.0, "dynamodb_readUnits": 1.0}
    outcome = {
        "state_transitions": 6.0,
        "apigateway_requests": 1,
        "totals": totals,
        "one_order_read": {"apigateway_requests": 1, **read},
    }
    # The Express runs: one execution of 200 ms billed, and one more Lambda call (a duplicate's) than Standard's.
    express_runs = {
        "executions": 1.0,
        "billed_ms": 200.0,
        "gb_seconds": 64 / 1024 * 0.2,
        "apigateway_requests": 1,
        "totals": {**totals, "lambda_requests": 6.0},
        "one_order_read": {"apigateway_requests": 1, **read},
    }
    dollars = cost_per_1000(outcome, express_runs)
    assert dollars["standard"]["stepfunctions"] == pytest.approx(6 * prices.STANDARD_PER_TRANSITION * 1000)
    express = prices.EXPRESS_PER_REQUEST + 64 / 1024 * 0.2 * prices.EXPRESS_PER_GB_SECOND
    assert dollars["express"]["stepfunctions"] == pytest.approx(express * 1000, abs=1e-5)
    dynamodb = 3 * prices.DYNAMODB_PER_READ_UNIT + 20 * prices.DYNAMODB_PER_WRITE_UNIT
    assert dollars["standard"]["dynamodb"] == pytest.approx(dynamodb * 1000, abs=1e-5)
    assert dollars["express"]["lambda"] - dollars["standard"]["lambda"] == pytest.approx(
        prices.LAMBDA_PER_REQUEST * 1000, abs=1e-6
    )  # each workflow type priced from its own runs
    assert dollars["standard"]["apigateway"] == pytest.approx(2 * prices.APIGATEWAY_REST_PER_REQUEST * 1000)
    for workflow in ("standard", "express"):
        parts = {key: value for key, value in dollars[workflow].items() if key != "total"}
        assert dollars[workflow]["total"] == pytest.approx(sum(parts.values()), abs=1e-4)
    outcome.update(
        per_function={"stack-ReserveStockFunction": {"dynamodb_requests": 2.0}},
        cost_per_1000_usd=dollars,
        express=express_runs,
    )
    rows = dict(render_cost_rows({"outcomes": {"confirmed": outcome}}))
    assert rows["  DynamoDB requests by function"] == "ReserveStock 2"
    assert rows["  Express (its own runs): executions / billed ms / Lambda calls / DynamoDB requests"] == (
        "1 / 200 / 6 / 12"
    )


def test_express_delta_counts_the_machines_executions_and_its_versions_only() -> None:
    machine = "arn:aws:states:us-east-1:123456789012:stateMachine:checkout"
    before = {"express": [{"stateMachine": machine, "executions": 2, "billedMs": 400, "gbSeconds": 0.025}]}
    after = {
        "express": [
            {"stateMachine": machine, "executions": 3, "billedMs": 700, "gbSeconds": 0.04375},
            {"stateMachine": f"{machine}:1", "executions": 1, "billedMs": 100, "gbSeconds": 0.00625},
            {"stateMachine": f"{machine}-other", "executions": 5, "billedMs": 500, "gbSeconds": 0.03125},
        ]
    }
    assert express_delta(before, after, machine) == pytest.approx(
        {"executions": 2, "billedMs": 400, "gbSeconds": 0.025}
    )
    assert express_delta({}, {}, machine) == {"executions": 0, "billedMs": 0, "gbSeconds": 0}
