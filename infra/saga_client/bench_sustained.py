"""A sustained run: closed-loop checkouts at concurrency 8 for minutes, measured window by window, with the
local cloud's memory (resident set of the server and of its Lambda workers) after each window. It shows
drift: latency that creeps up, or memory that grows faster than the data the sagas store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from saga_client.bench_cpu import children
from saga_client.bench_load import run_load

WINDOW_S = 60.0


def rss_mb(pid: int | None) -> float | None:
    """Resident set of one process in MB (Linux /proc), None if unknown."""
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def memory(server_pid: int | None) -> dict[str, float | None]:
    workers = [rss_mb(pid) for pid in (children(server_pid) if server_pid else [])]
    return {
        "server_rss_mb": rss_mb(server_pid),
        "workers_rss_mb": round(sum(value for value in workers if value is not None), 1) if workers else None,
        "workers": len(workers),
    }


def stored_growth_kb(before: dict[str, int] | None, after: dict[str, int] | None, sagas: int) -> dict[str, float]:
    """KB per saga that each service's stored data grew by (largest first), {} when either count is unknown."""
    if not before or not after or not sagas:
        return {}
    grown = {service: (after[service] - before.get(service, 0)) / 1024 / sagas for service in after}
    return {service: round(kb, 1) for service, kb in sorted(grown.items(), key=lambda item: -item[1])}


def run_sustained(
    api_url: str,
    token: str,
    server_pid: int | None,
    *,
    seconds: float,
    concurrency: int = 8,
    poll_interval: float = 0.005,
    window_s: float = WINDOW_S,
    stored: Callable[[], dict[str, int] | None] = lambda: None,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """`stored()`: the bytes the local cloud keeps per service, asked at the start and the end (not timed)."""
    windows: list[dict[str, Any]] = []
    at_start = memory(server_pid)
    stored_at_start = stored()
    elapsed, sagas = 0.0, 0
    while elapsed < seconds:
        span = min(window_s, seconds - elapsed)
        load = run_load(api_url, concurrency, sagas=1, token=token, duration=span, poll_interval=poll_interval)
        report = load.report()
        sagas += report["sagas"]
        elapsed += span
        windows.append(
            {
                "ended_at_s": round(elapsed, 1),
                "sagas": report["sagas"],
                "errors": report["errors"],
                "sagas_per_s": report["throughput"]["sagas_per_s"],
                "e2e_p50_ms": report["e2e_ms"].get("p50"),
                "e2e_p95_ms": report["e2e_ms"].get("p95"),
                **memory(server_pid),
            }
        )
        progress(
            f"    {elapsed:.0f} s: {report['throughput']['sagas_per_s']:.1f} sagas/s, "
            f"p95 {report['e2e_ms'].get('p95', 0):.0f} ms, server RSS {windows[-1]['server_rss_mb']} MB"
        )
    first, last = windows[0], windows[-1]
    drift = (
        round(last["e2e_p50_ms"] / first["e2e_p50_ms"], 2)
        if first.get("e2e_p50_ms") and last.get("e2e_p50_ms")
        else None
    )
    grown = (
        (last["server_rss_mb"] or 0) - (at_start["server_rss_mb"] or 0)
        if at_start["server_rss_mb"] is not None
        else None
    )
    stored_kb = stored_growth_kb(stored_at_start, stored(), sagas)
    rss_kb = round(grown * 1024 / sagas, 2) if grown is not None and sagas else None
    return {
        "seconds": seconds,
        "concurrency": concurrency,
        "sagas": sagas,
        "memory_at_start": at_start,
        "windows": windows,
        "p50_last_over_first_window": drift,
        "server_rss_growth_mb": round(grown, 1) if grown is not None else None,
        "server_rss_kb_per_saga": rss_kb,
        # What the services store, as AWS stores it too (items, stream records, log events, metrics), and the rest.
        "stored_kb_per_saga": stored_kb,
        "server_rss_kb_per_saga_beyond_stored": (
            round(rss_kb - sum(stored_kb.values()), 1) if rss_kb is not None and stored_kb else None
        ),
    }


def render_sustained_rows(sustained: dict[str, Any]) -> list[tuple[str, str]]:
    if not sustained:
        return []
    first, last = sustained["windows"][0], sustained["windows"][-1]
    start = sustained["memory_at_start"]
    return [
        (
            f"sustained {sustained['seconds']:g} s at concurrency {sustained['concurrency']}: first / last window",
            f"{first['sagas_per_s']:.1f} / {last['sagas_per_s']:.1f} sagas/s, p50 {first['e2e_p50_ms']:.0f} / "
            f"{last['e2e_p50_ms']:.0f} ms, p95 {first['e2e_p95_ms']:.0f} / {last['e2e_p95_ms']:.0f} ms",
        ),
        (
            "  local cloud RSS at start / end: server, workers",
            f"{start['server_rss_mb']} / {last['server_rss_mb']} MB, {start['workers_rss_mb']} / "
            f"{last['workers_rss_mb']} MB ({sustained['sagas']} sagas, "
            f"{sustained['server_rss_kb_per_saga']} KB of server RSS per saga stored)",
        ),
    ] + (
        [
            (
                "  of which stored per saga, by service (the rest: beyond what is stored)",
                ", ".join(f"{service} {kb:g}" for service, kb in sustained["stored_kb_per_saga"].items() if kb)
                + f" KB; the rest {sustained['server_rss_kb_per_saga_beyond_stored']} KB",
            )
        ]
        if sustained.get("stored_kb_per_saga")
        else []
    )
