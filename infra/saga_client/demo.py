"""`make demo`: start the local cloud, deploy template.yaml, seed the catalog, run one checkout that is
CONFIRMED and one that is compensated (declined card), then return part of the confirmed one; print each
with its saga timeline, stop."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from saga_client.api_client import CheckoutApi
from saga_client.identity import StackIdentities
from saga_client.seed import seed_catalog
from saga_client.stack_access import deploy_stack
from saga_client.timeline import render_order, render_return

ROOT = Path(__file__).resolve().parents[2]


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def local_cloud(port: int) -> Iterator[str]:
    """Use the cloud already running on `port` (make up), or start one and stop it afterwards."""
    endpoint = f"http://localhost:{port}"
    if _port_open(port):
        say(f"  using the local cloud already running on port {port} (it stays up)")
        yield endpoint
        return
    command = [sys.executable, "-m", "local_cloud"]
    subprocess.run([*command, "up", "--port", str(port)], check=True, cwd=ROOT)
    try:
        yield endpoint
    finally:
        subprocess.run([*command, "down"], check=False, cwd=ROOT)


def console_url(endpoint: str) -> str:
    return f"{endpoint}/_console/"


def run_demo(port: int, stack_name: str) -> int:
    started = time.monotonic()
    say(f"Checkout saga demo on the local cloud (port {port})")
    stays_up = _port_open(port)  # a cloud `make up` started outlives the demo, and so does its console
    with local_cloud(port) as endpoint:
        say("[1/5] deploying template.yaml")
        outputs = deploy_stack(endpoint, stack_name, log=lambda line: say(f"      {line}"))
        identities = StackIdentities.of(outputs, endpoint)
        operator = CheckoutApi(outputs["ApiUrl"], token=identities.operator())  # keeps the catalog
        api = CheckoutApi(outputs["ApiUrl"], token=identities.token("c-42"))  # the customer checking out
        say(f"      API: {outputs['ApiUrl']}")
        say(f"      saga console: {console_url(endpoint)}")
        say("[2/5] seeding the catalog")
        products = seed_catalog(operator)
        say(f"      {len(products)} products: {', '.join(p['sku'] for p in products)}")

        scenarios = [
            ("checkout paid with tok_visa", "tok_visa", "CONFIRMED"),
            ("checkout paid with tok_declined", "tok_declined", "CANCELLED"),
        ]
        results = []
        for number, (label, token, expected) in enumerate(scenarios, start=3):
            say(f"[{number}/5] {label} (expecting {expected})")
            body = {
                "customerId": "c-42",
                "items": [{"sku": "KB-001", "quantity": 1}, {"sku": "MS-001", "quantity": 2}],
                "paymentToken": token,
            }
            accepted = api.checkout(body, idempotency_key=f"demo-{uuid.uuid4().hex[:16]}")
            say(f"      202 {json.dumps(accepted)}")
            order = api.wait_until_terminal(accepted["orderId"])
            results.append((label, expected, order))

        say("[5/5] returning 1 x MS-001 of the confirmed order (expecting COMPLETED)")
        confirmed_id = results[0][2]["orderId"]
        started_return = api.start_return(
            confirmed_id, {"items": [{"sku": "MS-001", "quantity": 1}], "reason": "demo: one mouse too many"}
        )
        say(f"      202 {json.dumps(started_return)}")
        returned = api.wait_return(started_return["returnId"])
        results[0] = (results[0][0], results[0][1], api.order(confirmed_id))

        print()
        for label, _expected, order in results:
            print(render_order(order, label))
            print()
        print(render_return(returned, "return of 1 x MS-001"))
        print()
        stock = {sku: api.product(sku)["available"] for sku in ("KB-001", "MS-001")}
        print(
            f"Stock now: {stock}  (the confirmed order took 1 + 2 units and 1 came back; "
            "the cancelled one gave its units back)"
        )

    if stays_up:
        print(f"\nSaga console (graphs, history, metrics): {console_url(endpoint)}")
    else:
        print(f"\nSaga console: {console_url(endpoint)} while a local cloud runs: `make up`, then `make demo`")
    ok = all(order["status"] == expected for _label, expected, order in results) and returned["status"] == "COMPLETED"
    verdict = "both checkouts and the return ended as expected" if ok else "UNEXPECTED outcome"
    print(f"\n{verdict} in {time.monotonic() - started:.1f} s")
    return 0 if ok else 1
