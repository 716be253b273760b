"""Growth: the API's read latency with 1k, 10k, 100k sagas stored.

The stored sagas are clones of two real ones (a CONFIRMED and a CANCELLED saga run through the API):
their order, payment and saga log items, copied with a new id and shifted timestamps, and written
straight into the tables with BatchWriteItem. Nine in ten clones are CONFIRMED. Each clone belongs to one
of CUSTOMERS customers, so each customer's order history grows with the stored sagas (GET
/customers/{id}/orders must not).
"""

from __future__ import annotations

import itertools
import json
import random
import re
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from checkout_saga.clock import iso, parse_iso
from saga_client.aws_session import aws_session
from saga_client.bench_stats import summary

_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
_BATCH = 25  # BatchWriteItem's limit
# 25 orders each with 1k sagas stored, 2,500 each with 100k: a page of 20 is full at every size, so the
# growth measure compares equal pages (with 200 customers, 1k stored gave pages of 5).
CUSTOMERS = 40


@dataclass(frozen=True)
class SagaTemplate:
    """One real saga's items, low-level (AttributeValue) form, keyed by table."""

    order_id: str
    started_at: datetime
    items: dict[str, dict[str, Any]]


class SagaCloner:
    def __init__(self, endpoint_url: str, tables: dict[str, str], region: str = "us-east-1") -> None:
        """`tables`: "orders", "payments", "saga_log" -> table name."""
        self._client = aws_session(endpoint_url, region).client("dynamodb")
        self._tables = tables
        self._keys = {"orders": "orderId", "payments": "orderId", "saga_log": "sagaId"}
        self._clock = datetime(2020, 1, 1, tzinfo=UTC)  # clones are older than any real saga
        self._lock = threading.Lock()
        self._cloned = itertools.count()

    def template(self, order_id: str) -> SagaTemplate:
        items = {}
        for table, name in self._tables.items():
            item = self._client.get_item(TableName=name, Key={self._keys[table]: {"S": order_id}}, ConsistentRead=True)
            if "Item" not in item:
                raise RuntimeError(f"saga {order_id} has no item in {name}")
            items[table] = item["Item"]
        return SagaTemplate(order_id, parse_iso(items["saga_log"]["startedAt"]["S"]), items)

    def _clone(self, template: SagaTemplate, started_at: datetime) -> dict[str, dict[str, Any]]:
        new_id = f"bench-{uuid.uuid4().hex}"

        def shift(match: re.Match[str]) -> str:
            return iso(started_at + (parse_iso(match.group(0)) - template.started_at))

        clones = {}
        customer = {"S": bench_customer(next(self._cloned) % CUSTOMERS)}  # round robin: equal histories
        for table, item in template.items.items():
            text = json.dumps(item).replace(template.order_id, new_id)
            clones[table] = json.loads(_TIMESTAMP.sub(shift, text))
            if "customerId" in clones[table]:
                clones[table]["customerId"] = customer
        return clones

    def load(self, templates: list[tuple[SagaTemplate, float]], count: int, threads: int = 4) -> list[str]:
        """Write `count` clones, each of a template drawn with its weight; returns their order ids."""
        population = [template for template, _ in templates]
        weights = [weight for _, weight in templates]
        ids: list[str] = []

        def batch(size: int) -> None:
            rows: dict[str, list[dict[str, Any]]] = {table: [] for table in self._tables}
            for template in random.choices(population, weights, k=size):
                with self._lock:
                    self._clock += timedelta(milliseconds=7)
                    started_at = self._clock
                clones = self._clone(template, started_at)
                for table, item in clones.items():
                    rows[table].append({"PutRequest": {"Item": item}})
                with self._lock:
                    ids.append(clones["orders"]["orderId"]["S"])
            for table, requests_ in rows.items():
                pending = {self._tables[table]: requests_}
                while pending:
                    pending = self._client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

        sizes = [_BATCH] * (count // _BATCH) + ([count % _BATCH] if count % _BATCH else [])
        with ThreadPoolExecutor(threads) as pool:
            for future in [pool.submit(batch, size) for size in sizes]:
                future.result()
        return ids


def bench_customer(number: int) -> str:
    return f"bench-c-{number:03d}"


def _latencies(session: requests.Session, urls: list[str], expected: int = 200) -> list[float]:
    values = []
    for url in urls:
        started = time.perf_counter()
        response = session.get(url, timeout=60)
        values.append((time.perf_counter() - started) * 1000)
        if response.status_code != expected:
            raise RuntimeError(f"GET {url} -> {response.status_code}: {response.text[:300]}")
    return values


def measure_reads(
    api_url: str, order_ids: list[str], *, token: str | None = None, requests_per_query: int = 100
) -> dict[str, Any]:
    session = requests.Session()
    if token is not None:  # an operator's ID token: the listings are theirs
        session.headers["Authorization"] = token
    base = api_url.rstrip("/")
    orders = [f"{base}/orders/{random.choice(order_ids)}" for _ in range(requests_per_query)]
    sagas = [f"{base}/sagas?status=CONFIRMED&limit=20"] * requests_per_query
    cancelled = [f"{base}/sagas?status=CANCELLED&limit=20"] * requests_per_query
    customers = [
        f"{base}/customers/{bench_customer(random.randrange(CUSTOMERS))}/orders?limit=20"
        for _ in range(requests_per_query)
    ]
    for urls in (orders, sagas, cancelled, customers):
        _latencies(session, urls[:5])  # warm-up
    return {
        "get_order_ms": summary(_latencies(session, orders)),
        "list_confirmed_sagas_ms": summary(_latencies(session, sagas)),
        "list_cancelled_sagas_ms": summary(_latencies(session, cancelled)),
        "list_customer_orders_ms": summary(_latencies(session, customers)),
    }


def run_growth(
    endpoint_url: str,
    api_url: str,
    tables: dict[str, str],
    confirmed_order: str,
    cancelled_order: str,
    *,
    sizes: tuple[int, ...] = (1_000, 10_000, 100_000),
    requests_per_query: int = 100,
    token: str | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    cloner = SagaCloner(endpoint_url, tables)
    templates = [(cloner.template(confirmed_order), 0.9), (cloner.template(cancelled_order), 0.1)]
    loaded: list[str] = []
    levels = []
    for size in sorted(sizes):
        started = time.perf_counter()
        loaded += cloner.load(templates, size - len(loaded))
        load_s = time.perf_counter() - started
        progress(f"    {len(loaded)} sagas stored ({load_s:.0f} s to load); measuring reads")
        reads = measure_reads(api_url, loaded, token=token, requests_per_query=requests_per_query)
        levels.append({"sagas_stored": len(loaded), "load_s": round(load_s, 1), **reads})
    first, last = levels[0], levels[-1]
    ratios = {
        key: round(last[key]["p50"] / first[key]["p50"], 2)
        for key in ("get_order_ms", "list_confirmed_sagas_ms", "list_cancelled_sagas_ms", "list_customer_orders_ms")
    }
    return {"levels": levels, "p50_ratio_largest_vs_smallest": ratios}
