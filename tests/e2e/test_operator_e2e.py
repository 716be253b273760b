"""Operator actions end to end, through the deployed API on the local cloud: a running saga compensated by
force, and the refusals once a saga is past its pivot or not stuck."""

from __future__ import annotations

import time

import pytest

from saga_client.choreography_stack import SERVICE_QUEUES
from tests.e2e.test_api_e2e import Api, api, checkout, product  # noqa: F401  (fixtures)
from tests.support.queues import wait_until_empty
from tests.support.stack import Stack

pytestmark = [pytest.mark.e2e]


@pytest.mark.parametrize("coordination", ["orchestration", "choreography"])
def test_a_running_saga_is_compensated_by_force_through_the_api(
    api: Api,  # noqa: F811
    product: str,  # noqa: F811
    coordination: str,
    deployed_stack: Stack,
) -> None:
    """A choreographed saga has no execution to stop: the fence and the undo's own checks make its steps still
    in flight (ChargePayment's retries) change nothing once the forced undo has begun."""
    # tok_flaky fails twice: the saga waits in ChargePayment's retries long enough to be caught running.
    document = {**checkout(product, token="tok_flaky"), "coordination": coordination}
    order_id = api("POST", "/checkout", json=document).json()["orderId"]
    deadline = time.monotonic() + 20
    while "STOCK_RESERVED" not in [
        entry["state"] for entry in api("GET", f"/orders/{order_id}").json()["saga"]["history"]
    ]:
        assert time.monotonic() < deadline
        time.sleep(0.05)

    response = api("POST", f"/sagas/{order_id}/compensate", json={"reason": "customer called"})

    assert response.status_code in (202, 409), response.text
    order = api.wait(order_id)
    if response.status_code == 409:  # the flaky card went through first: CONFIRMED, nothing undone
        assert order["status"] == "CONFIRMED"
        assert api("GET", f"/products/{product}").json()["available"] == 8
        return
    assert order["status"] == "CANCELLED"
    assert order["saga"]["coordination"] == coordination
    assert order["saga"]["failure"] == {
        "step": "ChargePayment",
        "error": "ForcedCompensation",
        "cause": "customer called",
    }
    wait_until_empty(deployed_stack, SERVICE_QUEUES)  # a choreographed ChargePayment retry still due has run
    order = api("GET", f"/orders/{order_id}").json()
    assert (order["status"], order["payment"]["status"]) in {("CANCELLED", "NONE"), ("CANCELLED", "REFUNDED")}
    assert api("GET", f"/products/{product}").json()["available"] == 10
    assert api("POST", f"/sagas/{order_id}/compensate").status_code == 409  # ended


def test_a_confirmed_saga_is_neither_compensated_nor_resumed(api: Api, product: str) -> None:  # noqa: F811
    order_id = api("POST", "/checkout", json=checkout(product)).json()["orderId"]
    assert api.wait(order_id)["status"] == "CONFIRMED"

    compensate = api("POST", f"/sagas/{order_id}/compensate")
    resume = api("POST", f"/sagas/{order_id}/resume")

    assert (compensate.status_code, resume.status_code) == (409, 409)
    assert "pivot" in compensate.json()["message"]
    assert api("GET", f"/orders/{order_id}").json()["status"] == "CONFIRMED"
    assert api("GET", f"/products/{product}").json()["available"] == 8
