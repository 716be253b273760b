"""The HTTP API end to end, through the deployed stack's real ApiUrl on the local cloud: every status and
shape of openapi.json, with the final data checked through the stack's own tables."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from saga_client.polling import pauses
from tests.support.stack import Stack

pytestmark = [pytest.mark.e2e]
ROOT = Path(__file__).resolve().parents[2]
TERMINAL = {"CONFIRMED", "CANCELLED", "COMPENSATION_FAILED"}
_skus = itertools.count(1)


class Api:
    def __init__(self, url: str, auth: dict[str, str]) -> None:
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update(auth)

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, f"{self.url}{path}", timeout=30, **kwargs)

    def wait(self, order_id: str, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        waits = pauses(0.05)
        while True:
            order = dict(self("GET", f"/orders/{order_id}").json())
            if order["status"] in TERMINAL:
                return order
            assert time.monotonic() < deadline, f"order {order_id} still {order['status']}"
            time.sleep(next(waits))


@pytest.fixture(scope="module")
def api(deployed_stack: Stack) -> Api:
    return Api(deployed_stack.outputs["ApiUrl"], deployed_stack.auth("operator-e2e", operator=True))


@pytest.fixture
def product(api: Api) -> str:
    """A fresh product with 10 units at 12.50, so stock assertions are exact."""
    sku = f"E2E-{uuid.uuid4().hex[:8]}-{next(_skus)}"
    assert api("PUT", f"/products/{sku}", json={"name": "E2E widget", "unitPriceCents": 1250, "available": 10}).ok
    return sku


def checkout(sku: str, token: str = "tok_visa", quantity: int = 2) -> dict[str, Any]:
    return {"customerId": "c-e2e", "items": [{"sku": sku, "quantity": quantity}], "paymentToken": token}


def executions(stack: Stack) -> list[dict[str, Any]]:
    client = stack.client("stepfunctions")
    machine = stack.outputs["CheckoutStateMachineArn"]
    return list(client.list_executions(stateMachineArn=machine, maxResults=1000)["executions"])


def executions_named(stack: Stack, name: str) -> list[dict[str, Any]]:
    return [execution for execution in executions(stack) if execution["name"] == name]


# -------------------------------------------------------------------------------- products
def test_products_put_and_get(api: Api, product: str) -> None:
    got = api("GET", f"/products/{product}")
    assert got.status_code == 200
    assert got.json() == {
        "sku": product,
        "name": "E2E widget",
        "unitPriceCents": 1250,
        "available": 10,
        "shards": 1,
        "version": 1,
    }

    put = api("PUT", f"/products/{product}", json={"name": "Recounted", "unitPriceCents": 1300, "available": 25})
    assert put.status_code == 200
    assert put.json() == {
        "sku": product,
        "name": "Recounted",
        "unitPriceCents": 1300,
        "available": 25,
        "shards": 1,
        "version": 2,
    }
    assert api("GET", f"/products/{product}").json()["available"] == 25

    # A delivery adds; a count based on a version that a delivery made stale is refused.
    restocked = api("POST", f"/products/{product}/restock", json={"quantity": 5})
    assert (restocked.status_code, restocked.json()["available"], restocked.json()["version"]) == (200, 30, 3)
    stale = {"name": "Recounted", "unitPriceCents": 1300, "available": 20, "version": 2}
    assert api("PUT", f"/products/{product}", json=stale).status_code == 409
    assert api("GET", f"/products/{product}").json()["available"] == 30
    listed = api("GET", "/products", params={"limit": 100}).json()
    assert listed["items"]
    assert all(set(item) == set(got.json()) for item in listed["items"])


def test_a_customers_orders_newest_first(api: Api, product: str) -> None:
    customer = f"c-{product.lower()}"
    order_ids = [
        api("POST", "/checkout", json={**checkout(product, quantity=1), "customerId": customer}).json()["orderId"]
        for _ in range(3)
    ]
    for order_id in order_ids:
        api.wait(order_id)

    first = api("GET", f"/customers/{customer}/orders", params={"limit": 2}).json()
    rest = api("GET", f"/customers/{customer}/orders", params={"limit": 2, "next": first["next"]}).json()

    listed = [item["orderId"] for item in first["items"] + rest["items"]]
    assert sorted(listed) == sorted(order_ids)
    created = [item["createdAt"] for item in first["items"] + rest["items"]]
    assert created == sorted(created, reverse=True)
    assert {item["status"] for item in first["items"]} == {"CONFIRMED"}


def test_unknown_product_is_404_and_invalid_product_is_400(api: Api) -> None:
    assert api("GET", "/products/NOPE-404").status_code == 404
    invalid = api("PUT", "/products/NOPE-404", json={"name": "", "unitPriceCents": -1, "available": "3"})
    assert invalid.status_code == 400
    assert {error["field"] for error in invalid.json()["errors"]} == {"name", "unitPriceCents", "available"}
    assert api("GET", "/products/NOPE-404").status_code == 404  # nothing stored


# -------------------------------------------------------------------------------- checkout
def test_a_checkout_is_confirmed(api: Api, deployed_stack: Stack, product: str) -> None:
    accepted = api("POST", "/checkout", json=checkout(product))

    assert accepted.status_code == 202
    body = accepted.json()
    assert set(body) == {"orderId", "status", "executionArn"}
    assert body["status"] == "PENDING"
    order = api.wait(body["orderId"])
    assert order == {
        "orderId": body["orderId"],
        "customerId": "c-e2e",
        "status": "CONFIRMED",
        "items": [{"sku": product, "quantity": 2, "unitPriceCents": 1250}],
        "totalCents": 2500,
        "payment": {"status": "CAPTURED", "amountCents": 2500, "refundedCents": 0},
        "saga": {
            "state": "CONFIRMED",
            "history": order["saga"]["history"],
            "failure": None,
            "coordination": "orchestration",
        },
        "returns": [],
    }
    states = [entry["state"] for entry in order["saga"]["history"]]
    assert states == ["STARTED", "ORDER_CREATED", "STOCK_RESERVED", "PAYMENT_CHARGED", "CONFIRMED"]
    assert api("GET", f"/products/{product}").json()["available"] == 8
    [execution] = executions_named(deployed_stack, body["orderId"])
    assert execution["executionArn"] == body["executionArn"]


def test_a_declined_card_is_cancelled_and_compensated(api: Api, product: str) -> None:
    body = api("POST", "/checkout", json=checkout(product, "tok_declined")).json()

    order = api.wait(body["orderId"])

    assert order["status"] == "CANCELLED"
    assert order["payment"] == {"status": "NONE", "amountCents": 0, "refundedCents": 0}
    assert order["saga"]["state"] == "CANCELLED"
    assert order["saga"]["failure"]["step"] == "ChargePayment"
    assert order["saga"]["failure"]["error"] == "PaymentDeclined"
    assert isinstance(order["saga"]["failure"]["cause"], str)
    assert api("GET", f"/products/{product}").json()["available"] == 10  # the stock is back


def test_an_order_right_after_202_is_pending_or_further(api: Api, product: str) -> None:
    body = api("POST", "/checkout", json=checkout(product)).json()

    order = api("GET", f"/orders/{body['orderId']}")

    assert order.status_code == 200
    assert order.json()["status"] in {"PENDING", "CONFIRMED"}
    assert order.json()["saga"]["history"][0]["state"] == "STARTED"
    api.wait(body["orderId"])


def test_idempotency_key(api: Api, deployed_stack: Stack, product: str) -> None:
    key = f"e2e-{uuid.uuid4().hex}"
    first = api("POST", "/checkout", json=checkout(product), headers={"Idempotency-Key": key})
    again = api("POST", "/checkout", json=checkout(product), headers={"Idempotency-Key": key})
    other = api("POST", "/checkout", json=checkout(product, quantity=3), headers={"Idempotency-Key": key})

    assert first.status_code == 202
    assert again.status_code in (200, 202)
    assert again.json() == first.json()
    assert other.status_code == 409
    assert set(other.json()) == {"message"}
    order_id = first.json()["orderId"]
    assert len(executions_named(deployed_stack, order_id)) == 1
    api.wait(order_id)
    assert api("GET", f"/products/{product}").json()["available"] == 8  # one saga took stock, once


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("{not json", "body"),
        (
            json.dumps({"customerId": "c", "items": [{"sku": "KB-001", "quantity": "3"}], "paymentToken": "t"}),
            "items[0].quantity",
        ),
        (json.dumps({"customerId": "c", "items": [], "paymentToken": "t"}), "items"),
        (
            json.dumps({"customerId": "c", "items": [{"sku": "UNKNOWN-9", "quantity": 1}], "paymentToken": "t"}),
            "items[0].sku",
        ),
    ],
)
def test_invalid_checkouts_are_400s_and_start_nothing(api: Api, deployed_stack: Stack, body: str, field: str) -> None:
    before = len(executions(deployed_stack))

    response = api("POST", "/checkout", data=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert set(response.json()) == {"message", "errors"}
    assert field in {error["field"] for error in response.json()["errors"]}
    assert len(executions(deployed_stack)) == before


# ------------------------------------------------------------------------ orders and sagas
def test_unknown_order_is_404_and_malformed_is_400(api: Api) -> None:
    assert api("GET", "/orders/no-such-order").status_code == 404
    assert api("GET", "/orders/no-such-order").json().keys() == {"message"}
    assert api("GET", "/orders/bad%20id").status_code == 400


def test_sagas_are_listed_newest_first_page_by_page(api: Api, product: str) -> None:
    ids = [api("POST", "/checkout", json=checkout(product, quantity=1)).json()["orderId"] for _ in range(3)]
    for order_id in ids:
        api.wait(order_id)

    first = api("GET", "/sagas", params={"status": "CONFIRMED", "limit": 2})
    second = api("GET", "/sagas", params={"status": "CONFIRMED", "limit": 2, "next": first.json()["next"]})

    assert first.status_code == second.status_code == 200
    listed = [item["sagaId"] for item in first.json()["items"] + second.json()["items"]]
    assert listed[:3] == list(reversed(ids))  # the newest sagas of the run come first
    item = first.json()["items"][0]
    assert set(item) == {"sagaId", "status", "state", "startedAt", "updatedAt"}
    assert (item["status"], item["state"]) == ("CONFIRMED", "CONFIRMED")
    started = [entry["startedAt"] for entry in first.json()["items"] + second.json()["items"]]
    assert started == sorted(started, reverse=True)


def test_bad_saga_queries_are_400s(api: Api) -> None:
    assert api("GET", "/sagas").status_code == 400
    assert api("GET", "/sagas", params={"status": "CONFIRMED", "limit": 101}).status_code == 400
    assert api("GET", "/sagas", params={"status": "CONFIRMED", "next": "garbage"}).status_code == 400


# ------------------------------------------------------------------------------- plumbing
def test_a_wrong_method_is_a_405_with_allow(api: Api) -> None:
    response = api("DELETE", "/products/KB-001")

    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, PUT"
    assert api("GET", "/checkout").status_code == 405


def test_the_served_openapi_document_is_the_committed_one(api: Api) -> None:
    response = api("GET", "/openapi.json")

    assert response.status_code == 200
    assert response.json() == json.loads((ROOT / "openapi.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------- COMPENSATION_FAILED last
def test_an_undo_that_keeps_failing_is_compensation_failed(api: Api, deployed_stack: Stack, product: str) -> None:
    deployed_stack.set_faults({"ReleaseStock": {"mode": "fail", "rate": 1.0}})
    try:
        body = api("POST", "/checkout", json=checkout(product, "tok_declined")).json()

        order = api.wait(body["orderId"])
    finally:
        deployed_stack.set_faults({})

    assert order["status"] == "COMPENSATION_FAILED"
    assert order["saga"]["state"] == "COMPENSATION_FAILED"
    assert order["saga"]["failure"]["step"] == "ReleaseStock"
    assert order["saga"]["failure"]["error"] == "InjectedFailure"
