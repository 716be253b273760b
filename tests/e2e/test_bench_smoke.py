"""The benchmark's machinery on a handful of sagas (`make bench` is the benchmark: a command, not a test).
Checks the report's shape and that its numbers are sane, never how fast anything was."""

from __future__ import annotations

import json
from typing import Any

import pytest

from saga_client import bench_coordinations as coordinations
from saga_client.bench import BenchOptions, run_phases
from saga_client.bench_targets import render_table
from tests.support.stack import Stack

TINY = BenchOptions(
    port=0,
    stack_name="e2e",
    sagas=4,
    concurrency=2,
    duration=1.0,
    warmup=2,
    runtime_calls=3,
    cold_starts=1,
    floor_sagas=2,
    console_calls=3,
    growth_sizes=(20, 50),
    growth_requests=3,
    coordination_sagas=3,
    cost_sagas=1,
    sustained=2.0,
    replay_events=40,
    lag_sagas=3,
    express_stack_name="e2e-bench-express",
    quiet_wait_s=0.0,  # the suite's machine is busy by design: the targets then say so
)


def _positive_summary(summary: dict[str, Any], count: int | None = None) -> None:
    assert summary["count"] >= (count or 1)
    assert 0 < summary["min"] <= summary["p50"] <= summary["p95"] <= summary["p99"] <= summary["max"]


@pytest.mark.e2e
def test_the_benchmark_reports_every_section(deployed_stack: Stack) -> None:
    deployed_stack.set_faults({})
    assert deployed_stack.endpoint_url is not None

    report = run_phases(deployed_stack.endpoint_url, deployed_stack.outputs, TINY)

    json.dumps(report)  # the report is written as JSON
    for phase, concurrency in (("sequential", 1), ("concurrent", TINY.concurrency)):
        section = report[phase]
        assert section["concurrency"] == concurrency
        assert section["statuses"] == {"CONFIRMED": section["sagas"]}
        assert section["errors"] == 0
        _positive_summary(section["e2e_ms"], TINY.sagas)
        _positive_summary(section["saga_history_ms"], TINY.sagas)
        assert section["saga_history_ms"]["p50"] < section["e2e_ms"]["p50"]
        assert section["polls_per_saga"] >= 1
        cpu = section["cpu_ms_per_saga"]
        assert cpu is not None
        assert 0 < cpu["server"] <= cpu["total"]
    iam = report["concurrent"]["iam_enforcement"]
    # Every request of a saga but the client's own (signed with the administrator's key) is a role's: each
    # step's DynamoDB and SSM calls, the API's; and deciding them costs the server some CPU.
    assert iam["requests_per_saga"] >= 8
    assert 0 < iam["cpu_ms_per_saga"] < report["concurrent"]["cpu_ms_per_saga"]["server"]
    assert 0 < iam["share_of_saga_cpu"] < 1
    throughput = report["concurrent"]["throughput"]
    assert throughput["window_s"] == TINY.duration
    assert throughput["sagas_per_s"] == throughput["completed_in_window"] / TINY.duration

    runtime = report["lambda_runtime"]
    cold_start = runtime["cold_start_ms"]
    _positive_summary(cold_start["first_invoke"])
    assert cold_start["init"]["p50"] < cold_start["first_invoke"]["p50"]
    forked = cold_start["in_running_pool"]  # no zygote to start: a fork and the handler's import
    _positive_summary(forked["first_invoke"], TINY.cold_starts)
    assert 0 < forked["init"]["p50"] < forked["first_invoke"]["p50"]
    assert forked["init"]["p50"] < cold_start["init"]["p50"]
    for key in ("warm_worker_ms", "warm_inprocess_ms", "warm_invoke_overhead_ms"):
        _positive_summary(runtime[key], TINY.runtime_calls)
    assert runtime["warm_invoke_overhead_ms"]["p50"] < runtime["warm_worker_ms"]["p50"]

    orchestration = report["orchestration"]
    _positive_summary(orchestration["floor"]["saga_ms"], TINY.floor_sagas)
    assert set(orchestration["floor"]["step_p50_ms"]) == {
        "create_order",
        "reserve_stock",
        "charge_payment",
        "confirm_order",
    }
    assert orchestration["e2e_over_floor_p50"] > 0

    console = report["console"]
    _positive_summary(console["list_ms"], TINY.console_calls)
    assert console["poll_period_ms"] == 2000
    assert "saga console list, p95 (ms)" in {target["name"] for target in report["targets"]}

    growth = report["growth"]
    assert [level["sagas_stored"] for level in growth["levels"]] == list(TINY.growth_sizes)
    for level in growth["levels"]:
        for key in ("get_order_ms", "list_confirmed_sagas_ms", "list_cancelled_sagas_ms", "list_customer_orders_ms"):
            _positive_summary(level[key], TINY.growth_requests)
    assert set(growth["p50_ratio_largest_vs_smallest"]) == {
        "get_order_ms",
        "list_confirmed_sagas_ms",
        "list_cancelled_sagas_ms",
        "list_customer_orders_ms",
    }

    for coordination in ("orchestration", "choreography"):
        for phase, concurrency in (("sequential", 1), ("concurrent", TINY.concurrency)):
            section = report["coordinations"][coordination][phase]
            assert section["concurrency"] == concurrency
            assert section["statuses"] == {"CONFIRMED": section["sagas"]}
            _positive_summary(section["e2e_ms"], TINY.coordination_sagas)
            assert section["cpu_ms_per_saga"]["total"] > 0
    comparison = coordinations.render(report["coordinations"])
    assert comparison.count("\n") == 3  # a header, its rule, a row per coordination
    assert "| choreography |" in comparison

    outcomes = report["cost"]["outcomes"]
    assert set(outcomes) == {"confirmed", "declined", "compensated after ConfirmOrder fails"}
    for outcome in outcomes.values():
        assert outcome["state_transitions"] >= 5
        steps = {name.rpartition("-")[2] for name, counts in outcome["per_function"].items() if counts}
        assert {"ApiFunction", "CreateOrderFunction", "ReserveStockFunction", "ChargePaymentFunction"} <= steps
        totals = outcome["totals"]
        assert totals["lambda_requests"] >= 4
        assert totals["lambda_gbSeconds"] > 0
        assert totals["dynamodb_requests"] >= 4
        assert totals["dynamodb_writeUnits"] >= totals["dynamodb_requests"] / 2
        assert outcome["one_order_read"]["dynamodb_readUnits"] > 0
        express = outcome["express"]  # the same outcome run on the Express checkout, metered as AWS bills it
        assert express["executions"] == 1
        assert express["billed_ms"] >= 100
        assert express["billed_ms"] % 100 == 0
        assert express["totals"]["lambda_requests"] >= 4
        assert express["totals"]["dynamodb_writeUnits"] > 0
        dollars = outcome["cost_per_1000_usd"]
        assert 0 < dollars["express"]["total"] < dollars["standard"]["total"]
    # A compensation runs more states than a confirmed checkout.
    assert outcomes["declined"]["state_transitions"] > outcomes["confirmed"]["state_transitions"]

    sustained = report["sustained"]
    [window] = sustained["windows"]  # 2 s: one window
    assert window["sagas"] >= 1
    assert window["server_rss_mb"] > 10
    assert sustained["memory_at_start"]["server_rss_mb"] > 10
    assert sustained["p50_last_over_first_window"] == 1.0
    assert sustained["stored_kb_per_saga"]["dynamodb"] > 0  # the sagas' items, asked of the local cloud itself
    assert sustained["server_rss_kb_per_saga_beyond_stored"] is not None

    events = report["events"]
    _positive_summary(events["lag"]["lag_ms"], TINY.lag_sagas)
    assert events["replay"]["events"] == TINY.replay_events
    assert events["replay"]["replay_state"] == "COMPLETED"
    assert events["replay"]["rebuilt_equals_live"] is True

    assert len(report["targets"]) == 13
    # The suite's machine is busy by design: its targets are judged only when the run found it quiet.
    quiet = report["conditions"]["quiet"]["quiet"]
    for target in report["targets"]:
        assert isinstance(target["holds"], bool) if quiet else target["holds"] is None
        assert target["verdict"] in ("holds", "MISSED") if quiet else target["verdict"].startswith("not measured")
    table = render_table(report)
    fragments: tuple[str, ...] = (
        "end-to-end, concurrency 1",
        "throughput, concurrency 2",
        "floor",
        "cold start, running pool",
        "GET /sagas",
        "IAM enforcement",
    )
    fragments += ("USD per 1,000", "DynamoDB requests by function", "sustained 2 s", "RSS at start", "targets:")
    fragments += ("saga console list",)
    for fragment in fragments:
        assert fragment in table
