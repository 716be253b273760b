"""The saga console's data, computed from what the real state machines, handlers and logs produced (in-process
moto): the saga state machines found by their tags, the list by status (checkouts and returns), one saga's path,
timings and failure over its real definition, and each kind's metrics panel from the functions' EMF logs."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import pytest

from checkout_saga.handlers.dependencies import reset_caches
from checkout_saga.handlers.saga_duration import elapsed_ms
from checkout_saga.models import Product
from local_cloud.console import sagas
from local_cloud.console.cloud_reader import CloudReader
from local_cloud.console.emf_tail import EmfTail
from local_cloud.console.saga_kinds import SagaMachine
from tests.statemachine.test_return_paths import a_return, bought, faults, run_return
from tests.support.stack import Stack

CHECKOUT_MACHINE, RETURN_MACHINE = "paths-CheckoutStateMachine", "paths-ReturnStateMachine"
COMPENSATION_PATH = ["ChargePaymentFailed", "RefundPayment", "ReleaseStock", "CancelOrder", "CheckoutCancelled"]


def run_checkout(stack: Stack, sku: str, token: str) -> str:
    order_id = f"o-{uuid.uuid4().hex[:12]}"
    document = {
        "orderId": order_id,
        "customerId": "c-console",
        "items": [{"sku": sku, "quantity": 1}],
        "paymentToken": token,
    }
    stack.wait(stack.start(document, name=order_id))
    return order_id


@pytest.fixture(scope="module")
def reader() -> CloudReader:
    return CloudReader(None)


@pytest.fixture(scope="module")
def machines(reader: CloudReader, stack: Stack) -> list[SagaMachine]:
    return sagas.saga_machines(reader)


@pytest.fixture(scope="module")
def returned(stack: Stack) -> dict[str, str]:
    """A completed return and one whose refund failed (cancelled), of one confirmed order."""
    faults(stack, {})
    [sku] = _seed(stack)
    order_id = bought(stack, [sku])
    completed = a_return(order_id, {sku: 1}, reason="c-console-return")
    assert run_return(stack, completed)[0]["status"] == "SUCCEEDED"
    faults(stack, {"RefundReturn": {"mode": "fail", "rate": 1.0}})
    cancelled = a_return(order_id, {sku: 1})
    assert run_return(stack, cancelled)[0]["status"] == "FAILED"
    faults(stack, {})
    return {"COMPLETED": completed["returnId"], "CANCELLED": cancelled["returnId"]}


@pytest.fixture(scope="module")
def finished(stack: Stack) -> dict[str, str]:
    """One saga of each kind of ending: confirmed, declined (compensated), confirmed after retries."""
    stack.set_faults({})
    reset_caches()
    [sku] = _seed(stack)
    return {token: run_checkout(stack, sku, token) for token in ("tok_visa", "tok_declined", "tok_flaky")}


def _seed(stack: Stack) -> list[str]:
    sku = f"CON-{uuid.uuid4().hex[:6]}"
    stack.seed([Product(sku=sku, name="Console", unit_price_cents=1500, available=10)])
    return [sku]


def test_the_saga_state_machines_are_found_by_their_tags(machines):
    found = {machine.name: (machine.kind.name, machine.status_index) for machine in machines}
    assert found == {CHECKOUT_MACHINE: ("checkout", "byStatus"), RETURN_MACHINE: ("return", "byStatus")}


def test_the_list_shows_each_saga_with_its_status_newest_first(reader, machines, finished):
    rows = sagas.list_sagas(reader, machines, text="c-console")

    statuses = {row["sagaId"]: row["status"] for row in rows}
    assert statuses[finished["tok_visa"]] == "CONFIRMED"
    assert statuses[finished["tok_declined"]] == "CANCELLED"
    assert statuses[finished["tok_flaky"]] == "CONFIRMED"
    started = [row["startedAt"] for row in rows]
    assert started == sorted(started, reverse=True)
    declined = next(row for row in rows if row["sagaId"] == finished["tok_declined"])
    assert (declined["kind"], declined["coordination"], declined["stateMachine"]) == (
        "checkout",
        "orchestration",
        CHECKOUT_MACHINE,
    )
    assert declined["failure"]["step"] == "ChargePayment"


def test_the_list_filters_by_status_and_text(reader, machines, finished):
    cancelled = sagas.list_sagas(reader, machines, status="CANCELLED", text=finished["tok_declined"])
    assert [row["sagaId"] for row in cancelled] == [finished["tok_declined"]]
    assert sagas.list_sagas(reader, machines, status="CONFIRMED", text=finished["tok_declined"]) == []
    assert sagas.list_sagas(reader, machines, kind="no-such-kind") == []


def test_return_sagas_are_listed_and_shown_with_their_path(reader, machines, returned):
    rows = sagas.list_sagas(reader, machines, kind="return")

    listed = {row["sagaId"]: (row["status"], row["stateMachine"]) for row in rows}
    assert listed[returned["COMPLETED"]] == ("COMPLETED", RETURN_MACHINE)
    assert listed[returned["CANCELLED"]] == ("CANCELLED", RETURN_MACHINE)
    assert {row["kind"] for row in rows} == {"return"}
    assert [row["sagaId"] for row in sagas.list_sagas(reader, machines, status="COMPLETED")] == [returned["COMPLETED"]]

    detail = sagas.saga_detail(reader, machines, RETURN_MACHINE, returned["CANCELLED"])
    assert detail["saga"]["kind"] == "return"
    assert detail["execution"]["status"] == "FAILED"
    nodes = {node["id"]: node["classes"] for node in detail["graph"]["nodes"]}
    assert [name for name, classes in nodes.items() if "failed" in classes] == ["RefundReturn"]
    for state in ["ValidateReturn", "RefundReturn", "VoidReturnRefund", "CancelReturn", "ReturnCancelled"]:
        assert "taken" in nodes[state], state
    assert detail["failures"][0]["step"] == "RefundReturn"
    assert detail["failures"][0]["error"] == "InjectedFailure"


def test_a_compensated_saga_shows_its_compensation_path_and_where_it_failed(reader, machines, finished):
    detail = sagas.saga_detail(reader, machines, CHECKOUT_MACHINE, finished["tok_declined"])

    assert detail["execution"]["status"] == "FAILED"
    assert detail["execution"]["end"]["error"] == "CheckoutCancelled"
    nodes = {node["id"]: node["classes"] for node in detail["graph"]["nodes"]}
    for state in ["CreateOrder", "ReserveStock", "ChargePayment", *COMPENSATION_PATH]:
        assert "taken" in nodes[state], state
    assert "failed" in nodes["ChargePayment"]
    assert [name for name, classes in nodes.items() if "failed" in classes] == ["ChargePayment"]
    assert "taken" not in nodes["ConfirmOrder"]
    taken_edges = {(e["source"], e["target"]) for e in detail["graph"]["edges"] if "taken" in e["classes"]}
    assert ("ChargePayment", "ChargePaymentFailed") in taken_edges
    assert ("CancelOrder", "CheckoutCancelled") in taken_edges
    assert detail["failures"] == [
        {"step": "ChargePayment", "error": "PaymentDeclined", "cause": "the payment was declined"}
    ]
    states = [visit["state"] for visit in detail["states"]]
    assert states[-len(COMPENSATION_PATH) :] == COMPENSATION_PATH
    assert all(visit["durationMs"] is not None and visit["durationMs"] >= 0 for visit in detail["states"])


def test_retries_are_counted_in_the_state_they_happened_in(reader, machines, finished):
    detail = sagas.saga_detail(reader, machines, CHECKOUT_MACHINE, finished["tok_flaky"])

    charge = next(visit for visit in detail["states"] if visit["state"] == "ChargePayment")
    assert charge["retries"] == 2
    assert [attempt["error"] for attempt in charge["attempts"]] == [
        "PaymentProviderUnavailable",
        "PaymentProviderUnavailable",
        None,
    ]
    # Time in the state covers every attempt and the (jittered) waits between them.
    starts = [attempt["startMs"] for attempt in charge["attempts"]]
    assert starts == sorted(starts)
    last = charge["attempts"][-1]
    assert charge["enteredMs"] + charge["durationMs"] >= last["startMs"] + last["durationMs"]
    nodes = {node["id"]: node["classes"] for node in detail["graph"]["nodes"]}
    assert "retried" in nodes["ChargePayment"]
    assert "failed" not in nodes["ChargePayment"]
    assert detail["failures"] == []


def test_an_unknown_saga_is_reported_as_such(reader, machines, finished):
    with pytest.raises(sagas.UnknownSaga):
        sagas.saga_detail(reader, machines, CHECKOUT_MACHINE, "o-never-started")
    with pytest.raises(sagas.UnknownSaga):
        sagas.saga_detail(reader, machines, "no-such-state-machine", finished["tok_visa"])


def test_the_metrics_panel_counts_outcomes_failures_and_durations_from_the_logs(reader, machines, finished, stack):
    panels = {panel["kind"]: panel for panel in sagas.metrics(reader, EmfTail(reader.client("logs")), machines)}
    panel = panels["checkout"]

    assert panel["namespace"] == "CheckoutSaga"
    # This module's stack ran at least these three sagas (earlier tests of the session may add more).
    assert panel["outcomes"]["CONFIRMED"] >= 2
    assert panel["outcomes"]["CANCELLED"] >= 1
    assert {"step": "ChargePayment", "error": "PaymentDeclined"}.items() <= next(
        failure for failure in panel["failures"] if failure["error"] == "PaymentDeclined"
    ).items()
    assert panel["durations"]["CONFIRMED"]["count"] == panel["outcomes"]["CONFIRMED"]
    assert panel["durations"]["CANCELLED"]["count"] == panel["outcomes"]["CANCELLED"]
    confirmed = panel["durations"]["CONFIRMED"]
    assert 0 < confirmed["p50"] <= confirmed["p95"] <= confirmed["max"]
    # The flaky saga's duration (its saga log's first to last transition) is one of the values.
    flaky = stack.saga_log.get(finished["tok_flaky"])
    assert confirmed["max"] >= elapsed_ms(flaky.started_at, flaky.updated_at) > 0


class CountingLogs:
    """The logs client, counting the GetLogEvents calls made through it."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.reads = 0

    def get_log_events(self, **kwargs: Any) -> Any:
        self.reads += 1
        return self.client.get_log_events(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


def test_the_metrics_are_read_incrementally(reader, stack, finished):
    logs = CountingLogs(reader.client("logs"))
    tail = EmfTail(logs)
    first = tail.data()
    reads = logs.reads

    # Nothing was logged since: no stream is read again, nothing is counted twice.
    assert tail.data() == first
    assert logs.reads == reads

    [sku] = _seed(stack)
    run_checkout(stack, sku, "tok_visa")
    new = Counter(datum.name for datum in tail.data()) - Counter(datum.name for datum in first)
    assert (new["SagaStarted"], new["SagaConfirmed"], new["SagaDuration"]) == (1, 1, 1)


def test_each_kind_has_its_own_panel_with_its_own_steps_failures(reader, machines, finished, returned):
    panels = {panel["kind"]: panel for panel in sagas.metrics(reader, EmfTail(reader.client("logs")), machines)}

    returns = panels["return"]
    assert returns["namespace"] == panels["checkout"]["namespace"]
    assert returns["started"] >= 2
    assert returns["outcomes"]["COMPLETED"] >= 1
    assert returns["outcomes"]["CANCELLED"] >= 1
    assert set(returns["outcomes"]) == {"COMPLETED", "CANCELLED", "COMPENSATION_FAILED"}
    assert returns["durations"] is None  # no return step records a duration
    # StepFailed is one metric for both kinds: each panel keeps its own state machine's steps.
    assert {"step": "RefundReturn", "error": "InjectedFailure"}.items() <= returns["failures"][0].items()
    assert {failure["step"] for failure in returns["failures"]} <= {"ValidateReturn", "RefundReturn", "RestockReturn"}
    assert "RefundReturn" not in {failure["step"] for failure in panels["checkout"]["failures"]}
    assert "ChargePayment" not in {failure["step"] for failure in returns["failures"]}


def test_an_undo_that_keeps_failing_is_shown_after_the_step_that_failed(reader, machines, stack):
    # Given ReleaseStock keeps losing its answer: the undo fails after its retries
    stack.set_faults({"ReleaseStock": {"mode": "transient", "rate": 1.0}})
    reset_caches()
    [sku] = _seed(stack)

    order_id = run_checkout(stack, sku, "tok_declined")

    detail = sagas.saga_detail(reader, machines, CHECKOUT_MACHINE, order_id)
    assert detail["saga"]["status"] == "COMPENSATION_FAILED"
    assert [(f["step"], f["error"]) for f in detail["failures"]] == [
        ("ChargePayment", "PaymentDeclined"),
        ("ReleaseStock", "TransientStepError"),
    ]
    nodes = {node["id"]: node["classes"] for node in detail["graph"]["nodes"]}
    assert [name for name, classes in nodes.items() if "failed" in classes] == ["ChargePayment", "ReleaseStock"]
    assert {"retried", "taken"} <= set(nodes["ReleaseStock"])
    for state in ["ReleaseStockCompensationFailed", "MarkCompensationFailed", "CompensationFailed"]:
        assert "taken" in nodes[state], state
    assert "taken" not in nodes["CancelOrder"]
