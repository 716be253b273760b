"""The sustained run's memory figures: what each service's stored data grew by per saga, and the server's growth
beyond it (saga_client/bench_sustained.py)."""

from __future__ import annotations

from saga_client.bench_sustained import render_sustained_rows, stored_growth_kb


def test_stored_growth_is_per_saga_in_kb_largest_first() -> None:
    before = {"dynamodb": 1024, "logs": 0, "sqs": 2048}
    after = {"dynamodb": 1024 + 100 * 5 * 1024, "logs": 100 * 2 * 1024, "sqs": 2048}

    assert stored_growth_kb(before, after, 100) == {"dynamodb": 5.0, "logs": 2.0, "sqs": 0.0}
    assert list(stored_growth_kb(before, after, 100)) == ["dynamodb", "logs", "sqs"]


def test_no_growth_is_given_without_both_counts_or_sagas() -> None:
    assert stored_growth_kb(None, {"dynamodb": 1}, 10) == {}
    assert stored_growth_kb({"dynamodb": 1}, None, 10) == {}
    assert stored_growth_kb({"dynamodb": 1}, {"dynamodb": 2}, 0) == {}


def test_the_rows_name_each_service_that_grew_and_the_rest() -> None:
    window = {
        "sagas_per_s": 5.0,
        "e2e_p50_ms": 100.0,
        "e2e_p95_ms": 200.0,
        "server_rss_mb": 500.0,
        "workers_rss_mb": 90.0,
    }
    sustained = {
        "seconds": 600,
        "concurrency": 8,
        "sagas": 3000,
        "windows": [window],
        "memory_at_start": {"server_rss_mb": 400.0, "workers_rss_mb": 90.0},
        "server_rss_kb_per_saga": 34.13,
        "stored_kb_per_saga": {"dynamodb": 20.0, "logs": 4.0, "sqs": 0.0},
        "server_rss_kb_per_saga_beyond_stored": 10.1,
    }

    rows = dict(render_sustained_rows(sustained))

    stored = next(value for label, value in rows.items() if "by service" in label)
    assert stored == "dynamodb 20, logs 4 KB; the rest 10.1 KB"  # sqs did not grow: not named
