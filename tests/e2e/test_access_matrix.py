"""Who may do what, end to end through the deployed API Gateway and its Cognito authorizer: every route against
no token, a forged token, a token signed with moto's published key, a customer, another customer and an operator
(docs/security.md, "Who may do what")."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from joserfc import jws, jwt
from joserfc.jwk import RSAKey
from moto.utilities.utils import load_resource

from saga_client.aws_session import aws_session
from saga_client.identity import OPERATORS_GROUP, id_token
from tests.support.stack import Stack

pytestmark = [pytest.mark.e2e]
UNAUTHORIZED = (401, {"message": "Unauthorized"})


def _resign(token: str, key: RSAKey, **changes: Any) -> str:
    """The token's own claims (with `changes`) and header, signed with `key` (the pool's own key is the server's)."""
    parts = jws.extract_compact(token.encode())
    return jwt.encode(parts.headers(), {**json.loads(parts.payload), **changes}, key)


@dataclass
class World:
    url: str
    callers: dict[str, dict[str, str]]  # caller kind -> headers
    alice: str  # the customer
    bob: str  # the other customer
    alice_order: str
    bob_order: str
    alice_return: str


@pytest.fixture(scope="module")
def world(deployed_stack: Stack) -> World:
    alice, bob = f"alice-{uuid.uuid4().hex[:6]}", f"bob-{uuid.uuid4().hex[:6]}"
    alice_token = deployed_stack.identities.token(alice)
    moto_key = RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    callers = {
        "no token": {},
        "forged": {"Authorization": _resign(alice_token, RSAKey.generate_key(2048))},
        # What anyone could sign with the key pair moto ships: each pool signs with a key of its own.
        "moto's key": {"Authorization": _resign(alice_token, moto_key)},
        "customer": {"Authorization": alice_token},
        "other customer": deployed_stack.auth(bob),
        "operator": deployed_stack.auth(f"ops-{uuid.uuid4().hex[:6]}", operator=True),
    }
    url = deployed_stack.outputs["ApiUrl"]
    orders = {}
    for name in (alice, bob):
        body: dict[str, Any] = {"items": [{"sku": "CB-001", "quantity": 1}], "paymentToken": "tok_visa"}
        response = requests.post(f"{url}/checkout", json=body, headers=deployed_stack.auth(name), timeout=30)
        assert response.status_code == 202, response.text
        orders[name] = response.json()["orderId"]
    deadline = time.monotonic() + 60
    while (
        requests.get(f"{url}/orders/{orders[alice]}", headers=deployed_stack.auth(alice), timeout=30)
        .json()
        .get("status", "PENDING")
        == "PENDING"
    ):  # a return needs the order stored
        assert time.monotonic() < deadline, "the customer's checkout did not end"
        time.sleep(0.1)
    return_body: dict[str, Any] = {"items": [{"sku": "CB-001", "quantity": 1}], "reason": "access matrix"}
    returned = requests.post(
        f"{url}/orders/{orders[alice]}/returns", json=return_body, headers=deployed_stack.auth(alice), timeout=30
    )
    assert returned.status_code == 202, returned.text
    return World(url, callers, alice, bob, orders[alice], orders[bob], returned.json()["returnId"])


Request = Callable[[World], tuple[str, str, dict[str, Any]]]
ROUTES: dict[str, Request] = {
    "GET /openapi.json": lambda w: ("GET", "/openapi.json", {}),
    "POST /checkout as myself": lambda w: (
        "POST",
        "/checkout",
        {"json": {"items": [{"sku": "CB-001", "quantity": 1}], "paymentToken": "tok_visa"}},
    ),
    "POST /checkout for the customer": lambda w: (
        "POST",
        "/checkout",
        {"json": {"customerId": w.alice, "items": [{"sku": "CB-001", "quantity": 1}], "paymentToken": "tok_visa"}},
    ),
    "GET the customer's order": lambda w: ("GET", f"/orders/{w.alice_order}", {}),
    "GET /products/{sku}": lambda w: ("GET", "/products/CB-001", {}),
    "PUT /products/{sku}": lambda w: (
        "PUT",
        f"/products/ACL-{uuid.uuid4().hex[:6]}",
        {"json": {"name": "Access", "unitPriceCents": 100, "available": 1}},
    ),
    "GET /sagas": lambda w: ("GET", "/sagas", {"params": {"status": "PENDING"}}),
    "GET /customers/me/orders": lambda w: ("GET", "/customers/me/orders", {}),
    "GET the customer's orders": lambda w: ("GET", f"/customers/{w.alice}/orders", {}),
    "GET /products": lambda w: ("GET", "/products", {}),
    "POST /products/{sku}/restock": lambda w: ("POST", "/products/CB-001/restock", {"json": {"quantity": 1}}),
    "POST a return of the customer's order": lambda w: (
        "POST",
        f"/orders/{w.alice_order}/returns",
        {"json": {"items": [{"sku": "CB-001", "quantity": 1}], "reason": "access matrix"}},
    ),
    "GET the customer's return": lambda w: ("GET", f"/returns/{w.alice_return}", {}),
    "POST /sagas/{orderId}/resume": lambda w: ("POST", f"/sagas/{uuid.uuid4().hex}/resume", {}),
    "POST /sagas/{orderId}/compensate": lambda w: ("POST", f"/sagas/{uuid.uuid4().hex}/compensate", {"json": {}}),
    "GET the customer's saga events": lambda w: ("GET", f"/sagas/{w.alice_order}/events", {}),
    "GET the customer's return's events": lambda w: ("GET", f"/sagas/{w.alice_return}/events", {}),
    "GET /customers/me/summary": lambda w: ("GET", "/customers/me/summary", {}),
    "GET the customer's summary": lambda w: ("GET", f"/customers/{w.alice}/summary", {}),
    # A customer nothing is stored of: an operator's call is a 404, and no test's customer is erased.
    "POST /customers/{customerId}/erase": lambda w: ("POST", f"/customers/nobody-{uuid.uuid4().hex[:8]}/erase", {}),
}
CALLERS = ["no token", "forged", "moto's key", "customer", "other customer", "operator"]
# The status each caller gets on each route (no token, forged, moto's key: API Gateway's 401 for every secured route).
EXPECTED: dict[str, list[int]] = {
    "GET /openapi.json": [200, 200, 200, 200, 200, 200],
    "POST /checkout as myself": [401, 401, 401, 202, 202, 202],
    "POST /checkout for the customer": [401, 401, 401, 202, 403, 202],
    "GET the customer's order": [401, 401, 401, 200, 404, 200],
    "GET /products/{sku}": [401, 401, 401, 200, 200, 200],
    "PUT /products/{sku}": [401, 401, 401, 403, 403, 200],
    "GET /sagas": [401, 401, 401, 403, 403, 200],
    "GET /customers/me/orders": [401, 401, 401, 200, 200, 200],
    "GET the customer's orders": [401, 401, 401, 403, 403, 200],
    "GET /products": [401, 401, 401, 403, 403, 200],
    "POST /products/{sku}/restock": [401, 401, 401, 403, 403, 200],
    "POST a return of the customer's order": [401, 401, 401, 202, 404, 202],
    "GET the customer's return": [401, 401, 401, 200, 404, 200],
    "POST /sagas/{orderId}/resume": [401, 401, 401, 403, 403, 404],
    "POST /sagas/{orderId}/compensate": [401, 401, 401, 403, 403, 404],
    "GET the customer's saga events": [401, 401, 401, 200, 404, 200],
    "GET the customer's return's events": [401, 401, 401, 200, 404, 200],
    "GET /customers/me/summary": [401, 401, 401, 200, 200, 200],
    "GET the customer's summary": [401, 401, 401, 403, 403, 200],
    "POST /customers/{customerId}/erase": [401, 401, 401, 403, 403, 404],
}


@pytest.mark.parametrize("route", ROUTES)
def test_each_route_answers_each_kind_of_caller_as_the_rules_say(world: World, route: str) -> None:
    method, path, kwargs = ROUTES[route](world)
    statuses = []
    for caller in CALLERS:
        response = requests.request(method, f"{world.url}{path}", headers=world.callers[caller], timeout=30, **kwargs)
        statuses.append(response.status_code)
        if response.status_code == 401:
            assert response.json() == UNAUTHORIZED[1], (route, caller)
        if response.status_code == 403:
            assert set(response.json()) == {"message"}, (route, caller)
    assert dict(zip(CALLERS, statuses, strict=True)) == dict(zip(CALLERS, EXPECTED[route], strict=True))


def test_a_customer_checks_out_as_the_token_says_and_sees_only_their_orders(world: World) -> None:
    customer = world.callers["customer"]
    order = requests.get(f"{world.url}/orders/{world.alice_order}", headers=customer, timeout=30).json()
    assert order["customerId"] == world.alice
    as_operator = requests.get(f"{world.url}/orders/{world.bob_order}", headers=world.callers["operator"], timeout=30)
    assert as_operator.json()["customerId"] == world.bob  # the token named bob; the body named no one
    hidden = requests.get(f"{world.url}/orders/{world.bob_order}", headers=customer, timeout=30)
    assert hidden.status_code == 404
    unknown = requests.get(f"{world.url}/orders/{uuid.uuid4().hex}", headers=customer, timeout=30)
    assert hidden.json().keys() == unknown.json().keys()  # someone else's order looks like no order at all
    mine = requests.get(f"{world.url}/customers/me/orders", headers=customer, timeout=30).json()["items"]
    assert world.alice_order in {item["orderId"] for item in mine}
    assert world.bob_order not in {item["orderId"] for item in mine}


def test_groups_come_from_the_tokens_list_through_the_deployed_api(deployed_stack: Stack) -> None:
    # API Gateway renders ["x,admins"] as "x,admins", as it renders ["x", "admins"]: the API must not split it.
    cognito = aws_session(deployed_stack.endpoint_url).client("cognito-idp")
    pool_id, client_id = deployed_stack.outputs["UserPoolId"], deployed_stack.outputs["UserPoolClientId"]
    for group in ("x,admins", "support"):
        with contextlib.suppress(cognito.exceptions.GroupExistsException):
            cognito.create_group(UserPoolId=pool_id, GroupName=group)
    comma = f"comma-{uuid.uuid4().hex[:6]}"
    several = f"ops-{uuid.uuid4().hex[:6]}"
    id_token(cognito, pool_id, client_id, several, group="support")
    tokens = {
        comma: id_token(cognito, pool_id, client_id, comma, group="x,admins"),
        several: id_token(cognito, pool_id, client_id, several, group=OPERATORS_GROUP),  # in support and admins
    }
    url = f"{deployed_stack.outputs['ApiUrl']}/sagas?status=CONFIRMED"
    statuses = {user: requests.get(url, headers={"Authorization": token}, timeout=30).status_code
                for user, token in tokens.items()}  # fmt: skip
    assert statuses == {comma: 403, several: 200}
