"""A customer's erasure on the deployed stack: their sagas of both coordinations and a return, through the API,
then POST /customers/{customerId}/erase; no table holds their id any more, stock and money are as they were, and a
second erasure answers the same (docs/security.md, "Erasure")."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import requests

from saga_client.chaos_driver import SagaRun
from saga_client.chaos_returns import ReturnRun, ReturnSpec, collect_returns
from saga_client.invariants import Snapshot, check
from saga_client.stored_data import collect
from tests.e2e.test_coordinations_e2e import COORDINATIONS
from tests.e2e.test_events_e2e import eventually, get
from tests.e2e.test_saga_e2e import wait_for_order
from tests.support.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]  # two checkouts and a return, run to their end


def every_table(stack: Stack) -> dict[str, list[Any]]:
    """Every item of every table of the stack (the tests may scan; the API scans only what it must)."""
    dynamodb = stack.client("dynamodb")
    items: dict[str, list[Any]] = {}
    for output, table in stack.outputs.items():
        if output.endswith("TableName"):
            pages = dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
            items[output] = [item for page in pages for item in page["Items"]]
    return items


def naming(customer: str, tables: dict[str, list[Any]]) -> list[tuple[str, Any]]:
    return [(table, item) for table, items in tables.items() for item in items if customer in json.dumps(item)]


def post(stack: Stack, path: str, auth: dict[str, str], **kwargs: Any) -> requests.Response:
    return requests.post(f"{stack.outputs['ApiUrl']}{path}", headers=auth, timeout=30, **kwargs)


def test_an_erased_customer_is_in_no_table_and_every_balance_holds(deployed_stack: Stack, sku: str) -> None:
    stack, customer = deployed_stack, f"c-erase-{uuid.uuid4().hex[:8]}"
    operator = stack.auth("ops-erase", operator=True)
    orders = []
    for number, coordination in enumerate(COORDINATIONS):
        body = {"items": [{"sku": sku, "quantity": 2}], "paymentToken": "tok_visa", "coordination": coordination}
        headers = {**stack.auth(customer), "Idempotency-Key": f"erase-{number}"}
        accepted = post(stack, "/checkout", headers, json=body)
        assert accepted.status_code == 202, accepted.text
        orders.append(accepted.json()["orderId"])
    for order_id in orders:
        assert wait_for_order(stack, order_id)["status"] == "CONFIRMED"
    returned = post(
        stack, f"/orders/{orders[0]}/returns", stack.auth(customer), json={"items": [{"sku": sku, "quantity": 1}]}
    )
    assert returned.status_code == 202, returned.text
    return_id = returned.json()["returnId"]
    completed = eventually(lambda: get(stack, f"/returns/{return_id}", customer), lambda r: r["status"] != "PENDING")
    assert completed["status"] == "COMPLETED"
    # Every event projected: none still on its way to the read model once the customer is erased.
    projected = eventually(lambda: get(stack, "/customers/me/summary", customer), lambda s: s["returned"] == 1)
    assert (projected["confirmed"], projected["returned"]) == (2, 1)
    payments = {order_id: stack.payments.get(order_id) for order_id in orders}
    available = stack.available(sku)
    assert naming(customer, every_table(stack))

    erased = post(stack, f"/customers/{customer}/erase", operator)

    assert erased.status_code == 200, erased.text
    assert erased.json() == {"customerId": customer, "erased": True}
    assert naming(customer, every_table(stack)) == []
    assert stack.available(sku) == available == {sku: 10 - 2 * 2 + 1}
    assert {order_id: stack.payments.get(order_id) for order_id in orders} == payments
    for order_id in orders:
        order = stack.orders.get(order_id)
        assert order is not None
        assert (order.status.value, order.total_cents) == ("CONFIRMED", 2500)
        assert order.customer_id.startswith("erased-")
    summary = requests.get(f"{stack.outputs['ApiUrl']}/customers/{customer}/summary", headers=operator, timeout=10)
    assert summary.json()["orders"] == 0
    # The chaos invariants (stock and money conserved, histories in order, returns agree) hold on what is stored.
    runs = [SagaRun("erase", order_id, "", reported_status="CONFIRMED", first_final="CONFIRMED") for order_id in orders]
    return_run = ReturnRun(ReturnSpec(orders[0], ((sku, 1),)), return_id=return_id, reported="COMPLETED")
    snapshot = Snapshot(
        orders=collect(stack, runs),
        returns=collect_returns(stack, [return_run]),
        initial_stock={sku: 10},
        available=stack.raw_available([sku]),
    )
    assert check(snapshot) == []
    again = post(stack, f"/customers/{customer}/erase", operator)
    assert (again.status_code, again.json()) == (200, erased.json())
