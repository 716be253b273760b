"""The return saga end to end on the local cloud: through the API (POST /orders/{orderId}/returns, then
GET /returns/{returnId} and the order view), and through `start-execution` with events/return.json."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from saga_client.polling import pauses
from saga_client.stack_data import RETURN
from tests.e2e.test_api_e2e import Api, api, checkout, product  # noqa: F401  (fixtures)
from tests.support.stack import Stack

pytestmark = [pytest.mark.e2e]
ROOT = Path(__file__).resolve().parents[2]
RETURN_FINAL = {"COMPLETED", "REJECTED", "CANCELLED", "COMPENSATION_FAILED"}


def wait_return(client: Api, return_id: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    waits = pauses(0.05)
    while True:
        shown = dict(client("GET", f"/returns/{return_id}").json())
        if shown["status"] in RETURN_FINAL:
            return shown
        assert time.monotonic() < deadline, f"return {return_id} still {shown['status']}"
        time.sleep(next(waits))


def bought(client: Api, sku: str) -> str:
    order_id = str(client("POST", "/checkout", json=checkout(sku, quantity=3)).json()["orderId"])
    assert client.wait(order_id)["status"] == "CONFIRMED"
    return order_id


def test_a_return_through_the_api_completes_and_shows_on_the_order(api: Api, product: str) -> None:  # noqa: F811
    order_id = bought(api, product)

    accepted = api("POST", f"/orders/{order_id}/returns", json={"items": [{"sku": product, "quantity": 2}]})

    assert accepted.status_code == 202, accepted.text
    shown = wait_return(api, accepted.json()["returnId"])
    assert (shown["status"], shown["refundCents"], shown["orderId"]) == ("COMPLETED", 2500, order_id)
    states = [entry["state"] for entry in shown["saga"]["history"]]
    assert states == ["STARTED", "RETURN_VALIDATED", "RETURN_REFUNDED", "RETURN_RESTOCKED", "COMPLETED"]
    order = api("GET", f"/orders/{order_id}").json()
    assert order["payment"] == {"status": "PARTIALLY_REFUNDED", "amountCents": 3750, "refundedCents": 2500}
    assert order["returns"] == [{"returnId": shown["returnId"], "status": "COMPLETED", "refundCents": 2500}]
    assert api("GET", f"/products/{product}").json()["available"] == 9

    # Two more units than are left: REJECTED, nothing refunded or restocked.
    too_many = api("POST", f"/orders/{order_id}/returns", json={"items": [{"sku": product, "quantity": 2}]})
    rejected = wait_return(api, too_many.json()["returnId"])
    assert (rejected["status"], rejected["saga"]["failure"]["error"]) == ("REJECTED", "ReturnNotAllowed")
    assert api("GET", f"/orders/{order_id}").json()["payment"]["refundedCents"] == 2500
    assert api("GET", f"/products/{product}").json()["available"] == 9


def test_the_readme_start_execution_on_the_return_machine(
    deployed_stack: Stack,
    api: Api,  # noqa: F811
    product: str,  # noqa: F811
) -> None:
    order_id = bought(api, product)
    document = json.loads((ROOT / "events" / "return.json").read_text())
    document.update(orderId=order_id, items=[{"sku": product, "quantity": 1}])

    arn = deployed_stack.start(document, name=f"ret-e2e-{order_id[:12]}", machine=RETURN)

    assert deployed_stack.wait(arn)["status"] == "SUCCEEDED"
    shown = wait_return(api, arn.rsplit(":", 1)[1])
    assert (shown["status"], shown["refundCents"], shown["reason"]) == ("COMPLETED", 1250, document["reason"])
    assert api("GET", f"/products/{product}").json()["available"] == 8
