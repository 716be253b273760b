"""`make bench`: the checkout saga's performance on the local cloud, as a JSON report and a table.

Phases (progress on stderr): deploy and seed; warm-up; the AWS cost of each saga outcome, counted
(bench_cost); end-to-end latency at concurrency 1; latency and
sustained throughput at concurrency 8; the Lambda runtime's cold start and warm-invoke overhead; the
floor (the step handlers called directly in one process); optionally a sustained run (bench_sustained); read
latency as stored sagas grow.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from local_cloud.netutil import health
from saga_client import bench_coordinations as coordinations
from saga_client.api_client import CheckoutApi
from saga_client.aws_session import aws_session
from saga_client.bench_console import measure_console_list
from saga_client.bench_cost import CostStack, run_costs
from saga_client.bench_cpu import CpuSnapshot, cpu_per_saga
from saga_client.bench_events import measure_lag, measure_replay
from saga_client.bench_growth import run_growth
from saga_client.bench_load import run_load, run_saga, seed_bench_stock
from saga_client.bench_quiet import QUIET_WAIT_S, busy_verdict, wait_for_quiet
from saga_client.bench_runtime import function_specs, load_event, measure_floor, measure_lambda_runtime
from saga_client.bench_sustained import run_sustained
from saga_client.bench_targets import evaluate, render_table
from saga_client.demo import ROOT, local_cloud, say
from saga_client.identity import StackIdentities
from saga_client.seed import seed_catalog
from saga_client.stack_access import deploy_stack
from saga_client.stack_data import StackData


@dataclass(frozen=True)
class BenchOptions:
    port: int
    stack_name: str = "checkout-saga"
    sagas: int = 200  # per latency phase
    concurrency: int = 8  # of the concurrent phase
    duration: float = 30.0  # seconds of the throughput window at concurrency 8
    warmup: int = 40
    poll_interval: float = 0.005
    runtime_calls: int = 200
    cold_starts: int = 5
    floor_sagas: int = 50
    console_calls: int = 50  # reads of the saga console's list
    growth_sizes: tuple[int, ...] = (1_000, 10_000, 100_000)
    growth_requests: int = 100
    coordinations: bool = True  # measure both coordinations side by side (docs/choreography.md)
    coordination_sagas: int = 100  # per coordination and phase
    cost_sagas: int = 20  # per outcome of the cost phase (0 skips it)
    sustained: float = 0.0  # seconds of the sustained run at concurrency 8 (0 skips it)
    quiet_wait_s: float = QUIET_WAIT_S  # how long to wait for a quiet machine before measuring
    replay_events: int = 10_000  # archived events replayed into an empty read model (0 skips the events' phase)
    lag_sagas: int = 200  # checkouts whose read model lag is measured, at `concurrency`
    express_stack_name: str = ""  # the Express checkout's stack, for the cost phase ("": <stack_name>-express)


def conditions(options: BenchOptions, endpoint: str, cloud: str) -> dict[str, Any]:
    import moto

    load = os.getloadavg()
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": _git_commit(),
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in load],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "moto": moto.__version__,
        "endpoint": endpoint,
        "cloud": cloud,
        "poll_interval_ms": options.poll_interval * 1000,
        "payment_token": "tok_visa (success path: moto's retries would sleep in real time)",
        "checkout": "1 item, no Idempotency-Key",
    }


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    except OSError:
        return None
    return out.stdout.strip() or None


def _check_no_faults(endpoint: str, outputs: dict[str, str]) -> None:
    if "FaultsParameterName" not in outputs:  # deployed with EnableFaultInjection=false: there can be none
        return
    ssm = aws_session(endpoint).client("ssm")
    value = ssm.get_parameter(Name=outputs["FaultsParameterName"])["Parameter"]["Value"]
    if json.loads(value or "{}"):
        raise RuntimeError(f"fault injection is on ({outputs['FaultsParameterName']} = {value}): clear it first")


def run_bench(options: BenchOptions) -> dict[str, Any]:
    """Run every phase on the local cloud at `options.port` (reused if running) and return the report."""
    reused = health("127.0.0.1", options.port) is not None
    with local_cloud(options.port) as endpoint:
        say("[1/9] deploying and seeding")
        outputs = deploy_stack(endpoint, options.stack_name, log=lambda line: None)
        cloud = "reused (already running)" if reused else "started by the benchmark"
        return run_phases(endpoint, outputs, options, cloud=cloud, progress=say)


def _express_stack(endpoint: str, stack_name: str) -> CostStack:
    """The checkout as an Express workflow, beside the benchmark's stack (a machine's type cannot change in place),
    seeded as the benchmark's is."""
    outputs = deploy_stack(endpoint, stack_name, log=lambda _line: None, overrides={"CheckoutWorkflowType": "EXPRESS"})
    api, _token = _seeded_api(endpoint, outputs)
    return CostStack(outputs, api)


def _seeded_api(endpoint: str, outputs: dict[str, str]) -> tuple[CheckoutApi, str]:
    """The stack's API as the benchmark's operator (its customers are many, one per saga, and an operator may check
    out for any), and the operator's token; the catalog and the benchmark's stock seeded."""
    token = StackIdentities.of(outputs, endpoint).operator("bench-operator")
    api = CheckoutApi(outputs["ApiUrl"], token=token)
    seed_catalog(api)
    seed_bench_stock(api)
    return api, token


def _health(endpoint: str, timeout: float = 1.0, *, stored: bool = False) -> dict[str, Any] | None:
    """The health document of the local cloud at `endpoint` (None for another cloud)."""
    address = urlsplit(endpoint)
    return health(address.hostname or "127.0.0.1", address.port or 80, timeout, stored=stored)


def _stored_bytes(endpoint: str) -> dict[str, int] | None:
    """The bytes the local cloud keeps per service (None for another cloud, which does not say)."""
    server = _health(endpoint, timeout=120, stored=True)
    return server.get("storedBytes") if server else None


def _iam_figures(endpoint: str) -> dict[str, float] | None:
    server = _health(endpoint)
    figures = server.get("iam") if server else None
    return dict(figures) if isinstance(figures, dict) else None


def iam_cost(
    before: dict[str, float] | None, after: dict[str, float] | None, sagas: int, cpu: dict[str, Any] | None
) -> dict[str, float] | None:
    """What IAM enforcement cost per saga: requests authorized, the server's CPU spent deciding, and its
    share of all the CPU a saga costs (server, workers and client)."""
    if before is None or after is None or sagas <= 0:
        return None
    cpu_ms = (after["cpuMs"] - before["cpuMs"]) / sagas
    result = {"requests_per_saga": (after["requests"] - before["requests"]) / sagas, "cpu_ms_per_saga": cpu_ms}
    if cpu and cpu.get("total"):
        result["share_of_saga_cpu"] = cpu_ms / float(cpu["total"])
    return result


def run_phases(
    endpoint: str,
    outputs: dict[str, str],
    options: BenchOptions,
    *,
    cloud: str = "",
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Every measurement, on a deployed stack (the smoke test runs this with tiny options)."""
    _check_no_faults(endpoint, outputs)
    api_url = outputs["ApiUrl"]
    api, token = _seeded_api(endpoint, outputs)
    server = _health(endpoint)
    server_pid = int(server["pid"]) if server and "pid" in server else None
    quiet = wait_for_quiet(timeout_s=options.quiet_wait_s, progress=progress)
    report: dict[str, Any] = {"conditions": conditions(options, endpoint, cloud), "options": asdict(options)}
    report["conditions"]["quiet"] = quiet.as_report()

    sequential_warmup = min(10, options.warmup)  # the concurrent warm-up's workers, each called again warm
    progress(
        f"[2/9] warm-up: {options.warmup} sagas at concurrency {options.concurrency}, "
        f"then {sequential_warmup} at concurrency 1"
    )
    run_load(api_url, options.concurrency, sagas=options.warmup, token=token, poll_interval=options.poll_interval)
    run_load(api_url, 1, sagas=sequential_warmup, token=token, poll_interval=options.poll_interval)
    cancelled = run_saga(api, options.poll_interval, token="tok_declined")  # a template for the growth phase

    if options.cost_sagas:
        express_name = options.express_stack_name or f"{options.stack_name}-express"
        progress(
            f"[3/9] AWS cost: {options.cost_sagas} sagas per outcome, counted; the Express checkout: {express_name}"
        )
        express = _express_stack(endpoint, express_name)
        report["cost"] = run_costs(endpoint, CostStack(outputs, api), express, options.cost_sagas, progress=progress)

    progress(f"[4/9] latency at concurrency 1: {options.sagas} sagas")
    before = CpuSnapshot.take(server_pid)
    single = run_load(
        api_url, 1, sagas=options.sagas, token=token, poll_interval=options.poll_interval, progress=progress
    )
    report["sequential"] = single.report()
    report["sequential"]["cpu_ms_per_saga"] = cpu_per_saga(before, CpuSnapshot.take(server_pid), len(single.samples))

    progress(
        f"[5/9] latency and throughput at concurrency {options.concurrency}: "
        f"{options.duration:g} s and >= {options.sagas} sagas"
    )
    before = CpuSnapshot.take(server_pid)
    iam_before = _iam_figures(endpoint)
    concurrent = run_load(
        api_url,
        options.concurrency,
        sagas=options.sagas,
        token=token,
        duration=options.duration,
        poll_interval=options.poll_interval,
    )
    report["concurrent"] = concurrent.report()
    report["concurrent"]["cpu_ms_per_saga"] = cpu_per_saga(
        before, CpuSnapshot.take(server_pid), len(concurrent.samples)
    )
    report["concurrent"]["iam_enforcement"] = iam_cost(
        iam_before, _iam_figures(endpoint), len(concurrent.samples), report["concurrent"]["cpu_ms_per_saga"]
    )

    progress(f"[6/9] Lambda runtime: {options.cold_starts} cold starts, {options.runtime_calls} warm calls each way")
    specs = function_specs(endpoint, options.stack_name)
    event = {**load_event("reserve_stock"), "orderId": f"bench-runtime-{uuid.uuid4().hex[:12]}"}
    report["lambda_runtime"] = measure_lambda_runtime(
        endpoint, specs["reserve_stock"], event, calls=options.runtime_calls, cold_starts=options.cold_starts
    )

    progress(f"[7/9] floor: {options.floor_sagas} sagas' handlers called directly in this process")
    floor = measure_floor(endpoint, specs, sagas=options.floor_sagas)
    floor_p50 = floor["saga_ms"]["p50"]
    report["orchestration"] = {
        "floor": floor,
        "e2e_over_floor_p50": round(report["sequential"]["e2e_ms"]["p50"] / floor_p50, 2),
        "saga_history_over_floor_p50": round(report["sequential"]["saga_history_ms"]["p50"] / floor_p50, 2),
    }

    progress(f"[7b/9] saga console: {options.console_calls} reads of its list, which its page polls")
    report["console"] = measure_console_list(endpoint, calls=options.console_calls)

    if options.replay_events:
        stack = StackData(outputs, endpoint)
        progress(f"[7d/9] events: the read model's lag behind {options.lag_sagas} sagas at {options.concurrency}")
        report["events"] = {"lag": measure_lag(api, stack, sagas=options.lag_sagas, concurrency=options.concurrency)}
        progress(f"[7e/9] events: {options.replay_events:,} archived events replayed into an empty read model")
        report["events"]["replay"] = measure_replay(stack, events=options.replay_events)

    if options.coordinations:
        progress("[7c/9] the two coordinations side by side")
        report["coordinations"] = coordinations.measure(
            api_url,
            token,
            server_pid,
            sagas=options.coordination_sagas,
            concurrency=options.concurrency,
            duration=options.duration,
            poll_interval=options.poll_interval,
            progress=progress,
        )

    if options.sustained:
        progress(f"[8/9] sustained: {options.sustained:g} s at concurrency {options.concurrency}, minute by minute")
        report["sustained"] = run_sustained(
            api_url,
            token,
            server_pid,
            seconds=options.sustained,
            concurrency=options.concurrency,
            poll_interval=options.poll_interval,
            stored=lambda: _stored_bytes(endpoint),
            progress=progress,
        )

    if options.growth_sizes:
        progress(f"[9/9] growth: reads with {', '.join(f'{n:,}' for n in options.growth_sizes)} sagas stored")
        tables = {
            "orders": outputs["OrdersTableName"],
            "payments": outputs["PaymentsTableName"],
            "saga_log": outputs["SagaLogTableName"],
        }
        report["growth"] = run_growth(
            endpoint,
            api_url,
            tables,
            single.samples[-1].order_id,
            cancelled.order_id,
            sizes=options.growth_sizes,
            requests_per_query=options.growth_requests,
            token=token,
            progress=progress,
        )
    report["targets"] = evaluate(report)
    return report


def main(options: BenchOptions, report_path: Path, strict: bool = False) -> int:
    """0 once the report is written (a missed target is reported, not an error); with `strict`, 3 if any
    target is missed or none could be judged (a busy machine), for those who gate on it."""
    started = time.monotonic()
    report = run_bench(options)
    report["conditions"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report["conditions"]["wall_time_s"] = round(time.monotonic() - started, 1)
    report_path.write_text(json.dumps(report, indent=2) + "\n")
    print(render_table(report))
    if "coordinations" in report:
        print("\n" + coordinations.render(report["coordinations"]))
    say(f"report written to {report_path} in {report['conditions']['wall_time_s']:.0f} s")
    busy = busy_verdict(report)
    if busy:
        say(f"{busy}: no target judged; run it again with nothing else running")
        return 3 if strict else 0
    missed = [target for target in report["targets"] if not target["holds"]]
    if missed:
        say(f"{len(missed)} target(s) missed: see docs/speed-and-cost.md for what limits them")
    return 3 if strict and missed else 0
