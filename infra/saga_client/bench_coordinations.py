"""`make bench`'s side-by-side phase: the same checkout, orchestrated and choreographed, measured in one run on
the same machine: end-to-end latency at concurrency 1 (p50/p95), throughput at concurrency N, CPU per saga."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from saga_client.bench_cpu import CpuSnapshot, cpu_per_saga
from saga_client.bench_load import run_load

COORDINATIONS = ("orchestration", "choreography")


def measure(
    api_url: str,
    token: str,
    server_pid: int | None,
    *,
    sagas: int,
    concurrency: int,
    duration: float,
    poll_interval: float,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """coordination -> {"sequential", "concurrent"} reports, each with its CPU per saga. Each coordination is
    warmed up first (its functions' cold starts are not the comparison)."""
    figures: dict[str, Any] = {}
    for coordination in COORDINATIONS:
        progress(f"    {coordination}: warm-up, {sagas} sagas at concurrency 1, {duration:g} s at {concurrency}")
        run_load(api_url, concurrency, sagas=2 * concurrency, token=token, coordination=coordination)
        phases: dict[str, Any] = {}
        for name, clients, window in (("sequential", 1, None), ("concurrent", concurrency, duration)):
            before = CpuSnapshot.take(server_pid)
            load = run_load(
                api_url,
                clients,
                sagas=sagas,
                token=token,
                duration=window,
                poll_interval=poll_interval,
                coordination=coordination,
            )
            phases[name] = load.report()
            phases[name]["cpu_ms_per_saga"] = cpu_per_saga(before, CpuSnapshot.take(server_pid), len(load.samples))
        figures[coordination] = phases
    return figures


def render(figures: dict[str, Any]) -> str:
    """docs/speed-and-cost.md's comparison table, from a report's `coordinations`."""
    lines = [
        "| coordination | p50 / p95, concurrency 1 | throughput, concurrency "
        f"{figures['orchestration']['concurrent']['concurrency']} | p95 at that load | CPU per saga |",
        "|---|---|---|---|---|",
    ]
    for coordination in COORDINATIONS:
        one, many = figures[coordination]["sequential"], figures[coordination]["concurrent"]
        cpu = (many.get("cpu_ms_per_saga") or {}).get("total")
        rate = many.get("throughput", {}).get("sagas_per_s", 0.0)
        lines.append(
            f"| {coordination} | {one['e2e_ms']['p50']:.0f} ms / {one['e2e_ms']['p95']:.0f} ms "
            f"| {rate:.1f} sagas/s ({rate * 60:.0f}/min) | {many['e2e_ms']['p95']:.0f} ms "
            f"| {cpu if cpu is not None else 'n/a'} ms |"
        )
    return "\n".join(lines)
