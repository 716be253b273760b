"""The benchmark's targets (docs/speed-and-cost.md), checked against a report, and the report as a readable table."""

from __future__ import annotations

from typing import Any

from saga_client.bench_cost import render_cost_rows
from saga_client.bench_quiet import busy_verdict
from saga_client.bench_sustained import render_sustained_rows

P95_E2E_SEQUENTIAL_MS = 60.0
THROUGHPUT_CONCURRENT = 20.0
WARM_OVERHEAD_MS = 2.0
E2E_OVER_FLOOR = 3.0
GROWTH_RATIO = 1.5
SUSTAINED_DRIFT = 1.5  # p50 of the last window of a sustained run over the first's
IAM_SHARE_OF_SAGA_CPU = 0.10  # what enforcing IAM may cost: a tenth of a saga's CPU
REPLAY_SECONDS = 10.0  # replaying 10,000 archived events into an empty read model (docs/events.md)
READ_MODEL_LAG_MS = 2000.0  # the read model's eventual consistency, locally
P50_P95 = ("p50", "p95")
GROWTH_QUERIES = (
    ("GET /orders/{id}", "get_order_ms"),
    ("GET /sagas?status=CONFIRMED", "list_confirmed_sagas_ms"),
    ("GET /sagas?status=CANCELLED", "list_cancelled_sagas_ms"),
    ("GET /customers/{id}/orders", "list_customer_orders_ms"),
)


def evaluate(report: dict[str, Any]) -> list[dict[str, Any]]:
    one, concurrent = report["sequential"], report["concurrent"]
    checks: list[tuple[str, float | None, str, float]] = [
        ("p95 end-to-end, concurrency 1 (ms)", one["e2e_ms"].get("p95"), "<=", P95_E2E_SEQUENTIAL_MS),
        (
            f"throughput, concurrency {concurrent['concurrency']} (sagas/s)",
            concurrent.get("throughput", {}).get("sagas_per_s"),
            ">=",
            THROUGHPUT_CONCURRENT,
        ),
        (
            "warm invoke overhead, p50 (ms)",
            report["lambda_runtime"]["warm_invoke_overhead_ms"].get("p50"),
            "<=",
            WARM_OVERHEAD_MS,
        ),
        ("end-to-end / floor, p50", report["orchestration"]["e2e_over_floor_p50"], "<=", E2E_OVER_FLOOR),
    ]
    console = report.get("console")
    if console:  # the list must answer well within the period its page polls it at
        checks.append(("saga console list, p95 (ms)", console["list_ms"].get("p95"), "<=", console["poll_period_ms"]))
    events = report.get("events")
    if events:
        lag = events["lag"]
        checks.append(
            (
                f"read model lag, concurrency {lag['concurrency']}, p95 (ms)",
                lag["lag_ms"].get("p95"),
                "<=",
                READ_MODEL_LAG_MS,
            )
        )
        replay = events["replay"]
        checks.append(
            (
                f"replay of {replay['events']:,} events into an empty read model (s)",
                replay["replay_s"],
                "<=",
                REPLAY_SECONDS,
            )
        )
    iam = concurrent.get("iam_enforcement") or {}
    if "share_of_saga_cpu" in iam:
        checks.append(
            ("IAM enforcement, share of a saga's CPU", round(iam["share_of_saga_cpu"], 3), "<=", IAM_SHARE_OF_SAGA_CPU)
        )
    drift = report.get("sustained", {}).get("p50_last_over_first_window")
    if drift is not None:
        checks.append(("sustained run: p50, last / first window", drift, "<=", SUSTAINED_DRIFT))
    for query, ratio in report.get("growth", {}).get("p50_ratio_largest_vs_smallest", {}).items():
        checks.append((f"growth: {query} p50, most / fewest stored", ratio, "<=", GROWTH_RATIO))
    busy = busy_verdict(report)  # figures taken on a busy machine judge nothing
    targets = []
    for name, measured, op, limit in checks:
        holds = None if busy else measured is not None and (measured <= limit if op == "<=" else measured >= limit)
        verdict = busy or ("holds" if holds else "MISSED")
        targets.append(
            {"name": name, "measured": measured, "target": f"{op} {limit:g}", "holds": holds, "verdict": verdict}
        )
    return targets


def _ms(summary: dict[str, Any], keys: tuple[str, ...] = ("p50", "p95", "p99")) -> str:
    if not summary.get("count"):
        return "-"
    return " / ".join(f"{summary[key]:.1f}" for key in keys) + " ms"


def _cpu_rows(*phases: dict[str, Any]) -> list[tuple[str, str]]:
    rows = []
    for phase in phases:
        cpu = phase.get("cpu_ms_per_saga")
        if cpu:
            rows.append(
                (
                    f"  CPU per saga at concurrency {phase['concurrency']}: server/workers/client",
                    f"{cpu['server']:.0f} / {cpu['lambda_workers']:.0f} / {cpu['bench_client']:.0f} ms "
                    f"(ceilings {cpu['ceiling_sagas_per_s']:g}/s on all cores, "
                    f"{cpu['server_ceiling_sagas_per_s']:g}/s for the server)",
                )
            )
    return rows


def _iam_rows(phase: dict[str, Any]) -> list[tuple[str, str]]:
    iam = phase.get("iam_enforcement")
    if not iam:
        return []
    share = f", {iam['share_of_saga_cpu']:.1%} of the saga's CPU" if "share_of_saga_cpu" in iam else ""
    return [
        (
            f"  IAM enforcement per saga at concurrency {phase['concurrency']}",
            f"{iam['requests_per_saga']:.0f} requests authorized, {iam['cpu_ms_per_saga']:.1f} ms CPU{share}",
        )
    ]


def render_table(report: dict[str, Any]) -> str:
    c = report["conditions"]
    one, concurrent = report["sequential"], report["concurrent"]
    runtime, orchestration = report["lambda_runtime"], report["orchestration"]
    forked = runtime["cold_start_ms"]["in_running_pool"]
    throughput = concurrent.get("throughput", {})
    n = concurrent["concurrency"]
    rows: list[tuple[str, str]] = [
        (f"end-to-end, concurrency 1, p50/p95/p99 ({one['sagas']} sagas)", _ms(one["e2e_ms"])),
        ("  saga's own duration (history), p50/p95/p99", _ms(one["saga_history_ms"])),
        ("  POST /checkout answered, p50/p95/p99", _ms(one["post_ms"])),
        (
            f"end-to-end, concurrency {concurrent['concurrency']}, p50/p95/p99 ({concurrent['sagas']} sagas)",
            _ms(concurrent["e2e_ms"]),
        ),
        ("  saga's own duration (history), p50/p95/p99", _ms(concurrent["saga_history_ms"])),
        (
            f"throughput, concurrency {n}, over {throughput.get('window_s', 0):g} s",
            f"{throughput.get('sagas_per_s', 0):.1f} sagas/s",
        ),
        *_cpu_rows(one, concurrent),
        *_iam_rows(concurrent),
        ("Lambda cold start, new pool: first invoke, p50", _ms(runtime["cold_start_ms"]["first_invoke"], ("p50",))),
        ("  of which init (zygote start, fork, handler import), p50", _ms(runtime["cold_start_ms"]["init"], ("p50",))),
        ("Lambda cold start, running pool: first invoke, p50", _ms(forked["first_invoke"], ("p50",))),
        ("  of which init (fork, handler import), p50", _ms(forked["init"], ("p50",))),
        ("Lambda warm invoke, worker process, p50/p95", _ms(runtime["warm_worker_ms"], ("p50", "p95"))),
        ("  same handler in-process, p50/p95", _ms(runtime["warm_inprocess_ms"], ("p50", "p95"))),
        ("  runtime overhead (worker wall - handler), p50/p95", _ms(runtime["warm_invoke_overhead_ms"], P50_P95)),
        ("floor: 4 step handlers in one process, p50/p95", _ms(orchestration["floor"]["saga_ms"], ("p50", "p95"))),
        ("end-to-end / floor (p50)", f"{orchestration['e2e_over_floor_p50']:.2f}"),
        ("  saga's own duration / floor (p50)", f"{orchestration['saga_history_over_floor_p50']:.2f}"),
    ]
    if "console" in report:
        rows.append(("saga console list (polled every 2 s), p50/p95", _ms(report["console"]["list_ms"], P50_P95)))
    if "events" in report:
        lag, replay = report["events"]["lag"], report["events"]["replay"]
        rows.append(
            (f"read model lag behind the saga, concurrency {lag['concurrency']}, p50/p95", _ms(lag["lag_ms"], P50_P95))
        )
        rows.append(
            (f"replay of {replay['events']:,} archived events into an empty read model", f"{replay['replay_s']:.1f} s")
        )
    rows += render_cost_rows(report.get("cost", {}))
    rows += render_sustained_rows(report.get("sustained", {}))
    for level in report.get("growth", {}).get("levels", []):
        stored = f"{level['sagas_stored']:,} sagas"
        for label, key in GROWTH_QUERIES:
            rows.append((f"{label}, {stored}, p50/p95", _ms(level[key], P50_P95)))
    width = max(len(name) for name, _ in rows)
    load_at_end = c.get("load_average_at_end", ["?"])[0]
    lines = [
        f"Checkout saga benchmark: {c['cpus']} CPUs, load average {c['load_average_at_start'][0]} at start and "
        f"{load_at_end} at end, Python {c['python']}, moto {c['moto']}, polling every {c['poll_interval_ms']:g} ms",
        "",
        *(f"{name:<{width}}  {value}" for name, value in rows),
        "",
        "targets:",
    ]
    for target in report["targets"]:
        verdict = target.get("verdict") or ("holds" if target["holds"] else "MISSED")
        lines.append(f"  {target['name']:<{width}}  {target['measured']!s:>9}  target {target['target']:<7} {verdict}")
    return "\n".join(lines)
