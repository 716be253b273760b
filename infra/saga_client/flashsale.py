"""make flashsale: one SKU's flash sale, many buyers for few units, with its stock in 1 shard and then in 8, on a
local cloud whose DynamoDB throttles a hot partition key (LOCAL_CLOUD_PARTITION_WCU, docs/scale.md).

Each round puts the product (`units`, `shards`), then `buyers` checkouts of one unit each from `concurrency`
clients at once, and waits for every order to end. It counts what was sold (CONFIRMED orders), what is left,
the oversold units (sold + left beyond the stock, or any shard below zero), the throttled writes the local cloud
refused, and the rate at which the stock was taken: units reserved per second, from the sale's start to the last
reservation the saga logs recorded."""

from __future__ import annotations

import argparse
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from checkout_saga.clock import parse_iso
from local_cloud.dynamodb.partition_throughput import LIMIT_VARIABLE, TABLES_VARIABLE
from local_cloud.netutil import free_port, health, port_is_free
from saga_client.api_client import CheckoutApi
from saga_client.demo import ROOT, local_cloud, say
from saga_client.identity import StackIdentities
from saga_client.stack_access import deploy_stack
from saga_client.stack_data import StackData

AWS_PARTITION_WCU = 1000  # DynamoDB's write units per second per partition (docs/scale.md)
UNITS_PER_RESERVATION = 2  # one small item written in a transaction: 2 write units
SHARD_COUNTS = (1, 8)
STATE_DIR = ROOT / ".local-cloud" / "flashsale"  # its cloud's state and server.log
MAX_BUYERS_FACTOR = 5  # buyers keep coming until the stock is gone, at most this many times `buyers`


@dataclass(frozen=True)
class FlashSaleOptions:
    buyers: int = 200
    units: int = 40
    concurrency: int = 16
    shard_counts: tuple[int, ...] = SHARD_COUNTS
    timeout: float = 300.0  # per order


@dataclass
class SaleRound:
    sku: str
    shards: int
    units: int
    buyers: int
    statuses: dict[str, int] = field(default_factory=dict)
    left: int = 0
    lowest_shard: int = 0
    throttled: int = 0
    seconds: float = 0.0  # sale start -> last reservation
    errors: list[str] = field(default_factory=list)

    @property
    def sold(self) -> int:
        return self.statuses.get("CONFIRMED", 0)

    @property
    def oversold(self) -> int:
        return max(0, self.sold + self.left - self.units) + (-self.lowest_shard if self.lowest_shard < 0 else 0)

    @property
    def rate(self) -> float:
        return self.sold / self.seconds if self.seconds > 0 else 0.0


def run_round(
    endpoint: str,
    operator: CheckoutApi,
    buyer: CheckoutApi,
    shards: int,
    options: FlashSaleOptions,
    stock: Callable[[str], int],
) -> SaleRound:
    """One sale. `stock(sku)`: the units left as stored (a shard below zero shows as that negative number).
    Buyers keep coming, `concurrency` at a time, until `buyers` have come and the stock is gone: a checkout
    that gave up on a throttled hot key (its retries spent) leaves its unit to the next buyer, as in a real sale."""
    sku = f"FLASH-{shards}-{uuid.uuid4().hex[:6]}"
    operator.put_product(
        {"sku": sku, "name": "Flash sale", "unitPriceCents": 999, "available": options.units, "shards": shards}
    )
    sale = SaleRound(sku=sku, shards=shards, units=options.units, buyers=0)
    throttled_before = throttled_writes(endpoint)
    lock = threading.Lock()
    orders: list[dict[str, Any]] = []
    cap = options.buyers * MAX_BUYERS_FACTOR
    started = time.time()

    def next_buyer() -> int | None:
        with lock:
            if sale.buyers >= cap or (sale.buyers >= options.buyers and stock(sku) <= 0):
                return None
            sale.buyers += 1
            return sale.buyers

    def client() -> None:
        while next_buyer() is not None:
            body = {"items": [{"sku": sku, "quantity": 1}], "paymentToken": "tok_visa"}
            try:
                order_id = buyer.checkout(body)["orderId"]
                order = operator.wait_until_terminal(order_id, timeout=options.timeout, poll=0.05)
            except Exception as exc:  # a buyer that failed is reported; the counts stay exact
                with lock:
                    sale.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            with lock:
                orders.append(order)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(options.concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for order in orders:
        sale.statuses[order["status"]] = sale.statuses.get(order["status"], 0) + 1
    reserved = [at for order in orders if order["status"] == "CONFIRMED" and (at := reserved_at(order)) is not None]
    sale.seconds = max(reserved, default=started) - started
    left = stock(sku)
    sale.left, sale.lowest_shard = max(left, 0), min(left, 0)
    sale.throttled = throttled_writes(endpoint) - throttled_before
    return sale


def reserved_at(order: dict[str, Any]) -> float | None:
    """When the saga log recorded the order's stock as reserved (epoch seconds)."""
    for transition in order.get("saga", {}).get("history") or []:
        if transition["state"] == "STOCK_RESERVED":
            return parse_iso(transition["at"]).timestamp()
    return None


def throttled_writes(endpoint: str) -> int:
    """Writes the local cloud refused for a partition's throughput so far (its usage document)."""
    parts = urlsplit(endpoint)
    figures = health(parts.hostname or "127.0.0.1", parts.port or 80) or {}
    rows = (figures.get("usage") or {}).get("dynamodb") or []
    return sum(int(row.get("throttled", 0)) for row in rows)


def report(rounds: list[SaleRound], limit: float) -> list[str]:
    """The lines make flashsale prints; the last one is the summary line."""
    lines = [
        f"partition limit: {limit:g} write units/s per key of the inventory table ({LIMIT_VARIABLE}); AWS's: "
        f"{AWS_PARTITION_WCU}, every other table's here"
    ]
    for sale in rounds:
        statuses = ", ".join(f"{count} {status}" for status, count in sorted(sale.statuses.items()))
        lines.append(
            f"{sale.shards} shard{'s' if sale.shards > 1 else ''}: {sale.buyers} buyers for {sale.units} units "
            f"({statuses}); {sale.left} left; throttled writes seen: {sale.throttled}; "
            f"{sale.rate:.1f} units reserved/s over {sale.seconds:.1f} s"
            + (f"; {len(sale.errors)} buyer errors, first: {sale.errors[0]}" if sale.errors else "")
        )
    by_shards = {sale.shards: sale for sale in rounds}
    one, eight = by_shards.get(1), by_shards.get(8)
    if one is not None and eight is not None and one.rate > 0:
        ratio = eight.rate / one.rate
        per_key = AWS_PARTITION_WCU / UNITS_PER_RESERVATION
        lines.append(
            f"on AWS: one shard caps near {per_key:.0f} checkouts/s ({AWS_PARTITION_WCU} WCU/s per key / "
            f"{UNITS_PER_RESERVATION} WCU per reservation); 8 shards measured x{ratio:.1f} here, so about "
            f"{min(per_key * ratio, per_key * 8):.0f}/s on AWS unless a limit that binds first is lower "
            f"(docs/scale.md: Step Functions, API Gateway, Lambda concurrency)"
        )
    sold = sum(sale.sold for sale in rounds)
    stock = sum(sale.units for sale in rounds)
    oversold = sum(sale.oversold for sale in rounds)
    rates = ", ".join(f"{sale.shards} shard{'s' if sale.shards > 1 else ''} {sale.rate:.1f}/s" for sale in rounds)
    lines.append(f"flashsale: sold {sold} of {stock}, oversold {oversold}, {rates}")
    return lines


def run_flashsale(endpoint: str, outputs: dict[str, str], options: FlashSaleOptions) -> list[SaleRound]:
    """Every round on a deployed stack (its outputs): the operator puts the product, customers buy."""
    identities = StackIdentities.of(outputs, endpoint)
    operator = CheckoutApi(outputs["ApiUrl"], token=identities.operator("flashsale-operator"))
    buyer = CheckoutApi(outputs["ApiUrl"], token=identities.token("flashsale-fan"))
    stack = StackData(outputs, endpoint)

    def stock(sku: str) -> int:
        return stack.raw_available([sku]).get(sku, 0)

    # A first sale, unmeasured, warms every function up to the buyers' concurrency: the rounds compare shards,
    # not cold starts.
    warm_up = replace(options, buyers=options.concurrency, units=options.concurrency)
    run_round(endpoint, operator, buyer, max(options.shard_counts), warm_up, stock)
    return [run_round(endpoint, operator, buyer, shards, options, stock) for shards in options.shard_counts]


def add_flashsale_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=0, help="its own local cloud's port (default: a free one)")
    parser.add_argument("--stack-name", default="flashsale")
    parser.add_argument(
        "--partition-wcu",
        type=float,
        default=4.0,
        help=f"{LIMIT_VARIABLE} of its local cloud, for the inventory table (1 shard: half as many reservations/s)",
    )
    parser.add_argument("--buyers", type=int, default=FlashSaleOptions.buyers, help="buyers at least, per round")
    parser.add_argument("--units", type=int, default=FlashSaleOptions.units, help="units on sale per round")
    parser.add_argument("--concurrency", type=int, default=FlashSaleOptions.concurrency, help="buyers at once")


def run_flashsale_command(args: argparse.Namespace) -> int:
    """Starts its own local cloud, so that the lowered limit is the one in force (a running cloud keeps its own)."""
    port = args.port or free_port()
    if not port_is_free("127.0.0.1", port):
        print(f"error: port {port} is in use; make flashsale starts its own local cloud: name a free port", flush=True)
        return 2
    options = FlashSaleOptions(buyers=args.buyers, units=args.units, concurrency=args.concurrency)
    os.environ[LIMIT_VARIABLE] = f"{args.partition_wcu:g}"
    # The hot key's table only: the sagas' own items (orders, saga log) keep AWS's limit, which they never reach.
    os.environ[TABLES_VARIABLE] = f"{args.stack_name}-InventoryTable"
    os.environ["LOCAL_CLOUD_STATE_DIR"] = str(STATE_DIR)  # beside any cloud `make up` keeps running; its log stays
    with local_cloud(port) as endpoint:
        say(f"deploying template.yaml to {endpoint} (stack {args.stack_name})")
        outputs = deploy_stack(endpoint, args.stack_name, log=lambda _line: None)
        rounds = run_flashsale(endpoint, outputs, options)
    for line in report(rounds, args.partition_wcu):
        print(line, flush=True)
    exact = all(sale.sold == sale.units and sale.oversold == 0 for sale in rounds)
    return 0 if exact else 1
