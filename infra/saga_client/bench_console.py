"""The saga console's list as its page reads it: GET /_console/api/sagas, every CONSOLE_POLL_SECONDS. Its latency
must stay well under that period (a functional test checks what the list answers, never how fast)."""

from __future__ import annotations

import time
from typing import Any

import requests

from saga_client.bench_stats import summary

CONSOLE_POLL_SECONDS = 2.0  # local_cloud/console/static/console.js: LIST_REFRESH_MS


def measure_console_list(endpoint: str, *, calls: int = 20) -> dict[str, Any]:
    url = f"{endpoint.rstrip('/')}/_console/api/sagas"
    elapsed: list[float] = []
    with requests.Session() as session:
        for _ in range(calls):
            started = time.perf_counter()
            response = session.get(url, timeout=30)
            elapsed.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
    return {
        "what": "GET /_console/api/sagas (the saga console's list), one after another",
        "poll_period_ms": CONSOLE_POLL_SECONDS * 1000,
        "list_ms": summary(elapsed),
    }
