"""The saga console's JSON and pages over HTTP on a running local cloud (no browser): the list (checkouts and
returns), one saga, the metrics panels, and what it refuses."""

from __future__ import annotations

import requests

from tests.e2e.conftest import console_url
from tests.support.stack import Stack

CHECKOUT_MACHINE, RETURN_MACHINE = "e2e-CheckoutStateMachine", "e2e-ReturnStateMachine"


def get(stack: Stack, path: str, **kwargs) -> requests.Response:
    return requests.get(console_url(stack) + path, timeout=30, **kwargs)


def test_the_list_has_the_confirmed_and_the_cancelled_saga(deployed_stack, console_sagas):
    items = get(deployed_stack, "api/sagas", params={"q": "c-console"}).json()["items"]

    statuses = {item["sagaId"]: item["status"] for item in items}
    assert statuses[console_sagas["tok_visa"]["orderId"]] == "CONFIRMED"
    assert statuses[console_sagas["tok_declined"]["orderId"]] == "CANCELLED"
    assert all(item["stateMachine"] == CHECKOUT_MACHINE and item["kind"] == "checkout" for item in items)


def test_the_status_filter_keeps_only_that_status(deployed_stack, console_sagas):
    items = get(deployed_stack, "api/sagas", params={"status": "CANCELLED", "limit": "200"}).json()["items"]
    assert items
    assert {item["status"] for item in items} == {"CANCELLED"}
    assert console_sagas["tok_declined"]["orderId"] in {item["sagaId"] for item in items}


def test_one_saga_has_its_graph_path_history_and_failure(deployed_stack, console_sagas):
    order = console_sagas["tok_declined"]
    detail = get(deployed_stack, f"api/sagas/{CHECKOUT_MACHINE}/{order['orderId']}").json()

    assert detail["saga"]["status"] == "CANCELLED"
    assert detail["execution"]["status"] == "FAILED"
    taken = [node["id"] for node in detail["graph"]["nodes"] if "taken" in node["classes"]]
    assert {"RefundPayment", "ReleaseStock", "CancelOrder", "CheckoutCancelled"} <= set(taken)
    failure = order["saga"]["failure"]  # what the order API says failed is what the console shows
    assert detail["failures"][0] == {"step": failure["step"], "error": failure["error"], "cause": failure["cause"]}


def test_the_saga_page_is_server_rendered_with_the_failure(deployed_stack, console_sagas):
    order = console_sagas["tok_declined"]
    page = get(deployed_stack, f"sagas/{CHECKOUT_MACHINE}/{order['orderId']}")

    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "ChargePayment" in page.text
    assert "PaymentDeclined" in page.text
    assert get(deployed_stack, f"sagas/{CHECKOUT_MACHINE}/no-such-saga").status_code == 404


def test_the_metrics_panel_counts_what_the_functions_logged(deployed_stack, console_sagas):
    # Lambda logs are written when each call returns: the panel sees both sagas as soon as they ended.
    panels = {panel["kind"]: panel for panel in get(deployed_stack, "api/metrics").json()["panels"]}
    assert set(panels) == {"checkout", "return"}
    panel = panels["checkout"]

    assert panel["outcomes"]["CONFIRMED"] >= 1
    assert panel["outcomes"]["CANCELLED"] >= 1
    declined = [f for f in panel["failures"] if (f["step"], f["error"]) == ("ChargePayment", "PaymentDeclined")]
    assert declined
    assert declined[0]["count"] >= 1
    assert panel["durations"]["CANCELLED"]["count"] == panel["outcomes"]["CANCELLED"]
    assert panel["durations"]["CONFIRMED"]["p50"] > 0


def test_the_console_refuses_writes_foreign_hosts_and_grants_no_cors(deployed_stack, console_sagas):
    url = console_url(deployed_stack) + "api/sagas"
    assert requests.post(url, timeout=10).status_code == 405
    assert requests.get(url, headers={"Host": "evil.example"}, timeout=10).status_code == 403
    # A page of another origin gets nothing: the local cloud's guard refuses it before the console answers.
    response = requests.get(url, headers={"Origin": "https://evil.example"}, timeout=10)
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    same_machine = requests.get(url, headers={"Origin": "http://localhost:8080"}, timeout=10)
    assert same_machine.status_code == 200
    assert "Access-Control-Allow-Origin" not in same_machine.headers


def test_the_page_and_its_list_answer_every_poll_the_same(deployed_stack, console_sagas):
    """The page reads the list again every 2 s (how fast it answers is `make bench`'s: the console section)."""
    ours = {order["orderId"] for order in console_sagas.values()}
    for _ in range(3):
        assert get(deployed_stack, "").status_code == 200
        response = get(deployed_stack, "api/sagas", params={"q": "c-console"})
        assert response.status_code == 200
        assert ours <= {item["sagaId"] for item in response.json()["items"]}


def test_a_choreographed_saga_is_listed_and_shown_from_its_saga_log(deployed_stack: Stack) -> None:
    from saga_client.api_client import CheckoutApi

    api = CheckoutApi(deployed_stack.outputs["ApiUrl"], token=deployed_stack.identities.token("c-console-events"))
    body = {"items": [{"sku": "KB-001", "quantity": 1}], "paymentToken": "tok_declined", "coordination": "choreography"}
    operator = CheckoutApi(deployed_stack.outputs["ApiUrl"], token=deployed_stack.identities.operator())
    order = operator.wait_until_terminal(api.checkout(body)["orderId"])  # the failure's own cause: operators'
    assert order["status"] == "CANCELLED"

    items = get(deployed_stack, "api/sagas", params={"q": "c-console-events"}).json()["items"]
    assert [(item["sagaId"], item["coordination"]) for item in items] == [(order["orderId"], "choreography")]
    detail = get(deployed_stack, f"api/sagas/{CHECKOUT_MACHINE}/{order['orderId']}").json()
    assert (detail["execution"], detail["graph"]) == (None, None)
    assert [state["state"] for state in detail["states"]] == [entry["state"] for entry in order["saga"]["history"]]
    assert detail["failures"] == [
        {"step": "ChargePayment", "error": "PaymentDeclined", "cause": order["saga"]["failure"]["cause"]}
    ]
    page = get(deployed_stack, f"sagas/{CHECKOUT_MACHINE}/{order['orderId']}")
    assert page.status_code == 200
    assert "STOCK_RELEASED" in page.text
    assert "PaymentDeclined" in page.text


def test_a_return_saga_is_listed_and_shown(deployed_stack: Stack, console_sagas) -> None:
    from saga_client.api_client import CheckoutApi

    # Given a return of the confirmed console order, through the API
    api = CheckoutApi(deployed_stack.outputs["ApiUrl"], token=deployed_stack.identities.token("c-console"))
    order_id = console_sagas["tok_visa"]["orderId"]
    return_id = api.start_return(order_id, {"items": [{"sku": "KB-001", "quantity": 1}]})["returnId"]
    assert api.wait_return(return_id)["status"] == "COMPLETED"

    # Then the console lists it among the returns, and shows its path through the return state machine
    items = get(deployed_stack, "api/sagas", params={"kind": "return", "limit": "200"}).json()["items"]
    listed = [item for item in items if item["sagaId"] == return_id]
    assert [(item["kind"], item["status"], item["stateMachine"]) for item in listed] == [
        ("return", "COMPLETED", RETURN_MACHINE)
    ]
    detail = get(deployed_stack, f"api/{listed[0]['path']}").json()
    assert detail["execution"]["status"] == "SUCCEEDED"
    taken = {node["id"] for node in detail["graph"]["nodes"] if "taken" in node["classes"]}
    assert {"ValidateReturn", "RefundReturn", "RestockReturn", "CompleteReturn"} <= taken
    assert "return" in get(deployed_stack, "").text
