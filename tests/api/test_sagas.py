"""GET /sagas: sagas in a status, newest first, paginated by an opaque token, served by the byStatus index
(never a Scan); POST /sagas/{orderId}/resume and /compensate: 202, 404, 409, 400."""

from __future__ import annotations

import base64
import inspect
import json
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from moto.dynamodb.models import DynamoDBBackend

from checkout_saga.models import OrderStatus, ReturnStatus, SagaState
from tests.api.conftest import Call, Cloud
from tests.api.test_orders import arrange
from tests.support.events import claims_of


def started(cloud: Cloud, saga_id: str, minute: int, status: OrderStatus = OrderStatus.PENDING) -> None:
    at = f"2026-11-22T10:{minute:02d}:00.000Z"
    cloud.stack.saga_log.record(saga_id, SagaState.STARTED, at, customer_id="c-42")
    if status is not OrderStatus.PENDING:
        cloud.stack.saga_log.record(saga_id, SagaState(status.value), at.replace(":00.000Z", ":30.000Z"), status=status)


@pytest.fixture
def sagas(cloud: Cloud) -> Cloud:
    """Five pending sagas started at minutes 1..5, two confirmed and one cancelled in between."""
    for minute in range(1, 6):
        started(cloud, f"pending-{minute}", minute)
    started(cloud, "confirmed-a", 2, OrderStatus.CONFIRMED)
    started(cloud, "confirmed-b", 4, OrderStatus.CONFIRMED)
    started(cloud, "cancelled-a", 3, OrderStatus.CANCELLED)
    return cloud


@pytest.fixture
def dynamodb_calls() -> Iterator[dict[str, mock.MagicMock]]:
    """Spies on moto's DynamoDB backend: every Query and Scan the API makes reaches it."""
    with (
        mock.patch.object(DynamoDBBackend, "query", autospec=True, side_effect=DynamoDBBackend.query) as query,
        mock.patch.object(DynamoDBBackend, "scan", autospec=True, side_effect=DynamoDBBackend.scan) as scan,
    ):
        yield {"query": query, "scan": scan}


def test_pages_newest_first_until_next_is_null(call: Call, sagas: Cloud) -> None:
    seen: list[str] = []
    query: dict[str, str] = {"status": "PENDING", "limit": "2"}
    pages = 0
    while True:
        response = call("GET", "/sagas", query=query)
        assert response.status == 200
        assert set(response.body) == {"items", "next"}
        assert len(response.body["items"]) <= 2
        seen += [item["sagaId"] for item in response.body["items"]]
        pages += 1
        if response.body["next"] is None:
            break
        query = {**query, "next": response.body["next"]}

    assert seen == [f"pending-{minute}" for minute in (5, 4, 3, 2, 1)]
    assert pages in (3, 4)  # DynamoDB may hand out a last, empty page


def test_items_have_the_summary_shape(call: Call, sagas: Cloud) -> None:
    body = call("GET", "/sagas", query={"status": "CONFIRMED"}).body

    assert body == {
        "items": [
            {
                "sagaId": "confirmed-b",
                "status": "CONFIRMED",
                "state": "CONFIRMED",
                "startedAt": "2026-11-22T10:04:00.000Z",
                "updatedAt": "2026-11-22T10:04:30.000Z",
            },
            {
                "sagaId": "confirmed-a",
                "status": "CONFIRMED",
                "state": "CONFIRMED",
                "startedAt": "2026-11-22T10:02:00.000Z",
                "updatedAt": "2026-11-22T10:02:30.000Z",
            },
        ],
        "next": None,
    }


def test_default_limit_is_20(call: Call, cloud: Cloud) -> None:
    for minute in range(25):
        started(cloud, f"s-{minute:02d}", minute)

    body = call("GET", "/sagas", query={"status": "PENDING"}).body

    assert len(body["items"]) == 20
    assert body["items"][0]["sagaId"] == "s-24"
    assert body["next"] is not None


def test_an_empty_status_lists_nothing(call: Call, sagas: Cloud) -> None:
    assert call("GET", "/sagas", query={"status": "COMPENSATION_FAILED"}).body == {"items": [], "next": None}


def test_listing_queries_the_by_status_index_and_never_scans(
    call: Call, sagas: Cloud, dynamodb_calls: dict[str, mock.MagicMock]
) -> None:
    first = call("GET", "/sagas", query={"status": "PENDING", "limit": "2"})
    call("GET", "/sagas", query={"status": "PENDING", "limit": "2", "next": first.body["next"]})

    assert dynamodb_calls["scan"].call_count == 0
    assert dynamodb_calls["query"].call_count == 2
    signature = inspect.signature(DynamoDBBackend.query)
    queries = [signature.bind(*c.args, **c.kwargs).arguments for c in dynamodb_calls["query"].call_args_list]
    for arguments in queries:
        assert arguments["table_name"] == sagas.tables["SagaLogTable"]
        assert arguments["index_name"] == "byStatus"
        assert arguments["scan_index_forward"] is False
        assert arguments["limit"] == 2
    assert not queries[0]["exclusive_start_key"]
    assert queries[1]["exclusive_start_key"]


# ------------------------------------------------------------------------------ invalid
def token(document: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")


GOOD_KEY = {"sagaId": "pending-3", "status": "PENDING", "startedAt": "2026-11-22T10:03:00.000Z"}
INVALID_QUERIES: list[tuple[str, dict[str, str], str]] = [
    ("no status", {}, "status"),
    ("a status of the other kind", {"status": "COMPLETED"}, "status"),
    ("a return is never confirmed", {"kind": "return", "status": "CONFIRMED"}, "status"),
    ("unknown kind", {"kind": "refund", "status": "PENDING"}, "kind"),
    ("unknown status", {"status": "DONE"}, "status"),
    ("lower-case status", {"status": "pending"}, "status"),
    ("limit 0", {"status": "PENDING", "limit": "0"}, "limit"),
    ("limit 101", {"status": "PENDING", "limit": "101"}, "limit"),
    ("limit not a number", {"status": "PENDING", "limit": "ten"}, "limit"),
    ("limit huge", {"status": "PENDING", "limit": "9" * 400}, "limit"),
    ("next not base64", {"status": "PENDING", "next": "***"}, "next"),
    ("next not JSON", {"status": "PENDING", "next": token("x")[:-2] + "!!"}, "next"),
    ("next a JSON string", {"status": "PENDING", "next": token("hello")}, "next"),
    ("next with another key", {"status": "PENDING", "next": token({**GOOD_KEY, "pk": "x"})}, "next"),
    ("next of another status", {"status": "CONFIRMED", "next": token(GOOD_KEY)}, "next"),
    ("next with a surrogate", {"status": "PENDING", "next": token({**GOOD_KEY, "sagaId": "\ud800"})}, "next"),
    ("next with an empty id", {"status": "PENDING", "next": token({**GOOD_KEY, "sagaId": ""})}, "next"),
    ("next with a bad time", {"status": "PENDING", "next": token({**GOOD_KEY, "startedAt": "yesterday"})}, "next"),
    ("next too long", {"status": "PENDING", "next": "A" * 1025}, "next"),
]


@pytest.mark.parametrize(("case", "query", "field"), INVALID_QUERIES, ids=[case for case, _, _ in INVALID_QUERIES])
def test_invalid_queries_are_400s_naming_the_parameter(
    call: Call, sagas: Cloud, case: str, query: dict[str, str], field: str
) -> None:
    response = call("GET", "/sagas", query=query)

    assert response.status == 400, case
    assert [error["field"] for error in response.body["errors"]] == [field]


def test_a_token_this_api_gave_continues_the_listing(call: Call, sagas: Cloud) -> None:
    response = call("GET", "/sagas", query={"status": "PENDING", "next": token(GOOD_KEY)})

    assert [item["sagaId"] for item in response.body["items"]] == ["pending-2", "pending-1"]


def test_returns_are_listed_from_their_own_saga_log(call: Call, cloud: Cloud) -> None:
    log = cloud.stack.return_saga_log
    log.record("ret-1", SagaState.STARTED, "2026-11-22T10:01:00.000Z")
    log.record("ret-1", SagaState.COMPLETED, "2026-11-22T10:01:09.000Z", status=ReturnStatus.COMPLETED)
    log.record("ret-2", SagaState.STARTED, "2026-11-22T10:02:00.000Z")
    started(cloud, "ord-1", 1)

    completed = call("GET", "/sagas", query={"kind": "return", "status": "COMPLETED"})
    pending = call("GET", "/sagas", query={"kind": "return", "status": "PENDING"})

    assert [item["sagaId"] for item in completed.body["items"]] == ["ret-1"]
    assert [(item["sagaId"], item["status"]) for item in pending.body["items"]] == [("ret-2", "PENDING")]


# ------------------------------------------------------------------ operator actions
def test_resume_and_compensate_answer_404_for_an_unknown_order(call: Call) -> None:
    for action in ("resume", "compensate"):
        response = call("POST", f"/sagas/no-such-order/{action}")
        assert (response.status, response.body) == (404, {"message": "no order no-such-order"}), action


def test_resume_refuses_a_saga_that_is_not_compensation_failed(call: Call, cloud: Cloud) -> None:
    arrange(cloud, "ord-run", OrderStatus.PENDING, [SagaState.STARTED, SagaState.ORDER_CREATED])

    response = call("POST", "/sagas/ord-run/resume")

    assert response.status == 409
    assert "only a COMPENSATION_FAILED saga can be resumed" in response.body["message"]
    assert cloud.executions() == []


def test_resume_starts_the_undo_of_a_compensation_failed_saga(call: Call, cloud: Cloud) -> None:
    arrange(cloud, "ord-stuck", OrderStatus.COMPENSATION_FAILED, [SagaState.STARTED, SagaState.COMPENSATION_FAILED])

    response = call("POST", "/sagas/ord-stuck/resume")

    assert response.status == 202
    [execution] = cloud.executions()
    assert response.body == {"orderId": "ord-stuck", "executionArn": execution["executionArn"]}
    # It names the mark it ends (the order's first): a later one, made by its own undo given up, stays
    assert json.loads(execution["input"]) == {"orderId": "ord-stuck", "resumeCompensation": True, "resumesFailure": 1}


def test_compensate_fences_the_order_records_why_and_starts_the_undo(call: Call, cloud: Cloud) -> None:
    arrange(cloud, "ord-run", OrderStatus.PENDING, [SagaState.STARTED, SagaState.ORDER_CREATED])

    response = call("POST", "/sagas/ord-run/compensate", body={"reason": "customer called"})

    assert response.status == 202
    [execution] = cloud.executions()
    # A PENDING order was never marked: this undo ends no COMPENSATION_FAILED mark, not even its own
    assert json.loads(execution["input"]) == {"orderId": "ord-run", "resumeCompensation": True, "resumesFailure": 0}
    [order] = cloud.items("OrdersTable")
    assert "fencedAt" in order  # ConfirmOrder can no longer confirm it
    failure = cloud.stack.saga_log.get("ord-run").failure
    assert (failure.step, failure.error, failure.cause) == ("ReserveStock", "ForcedCompensation", "customer called")


@pytest.mark.parametrize("status", [OrderStatus.CONFIRMED, OrderStatus.CANCELLED, OrderStatus.COMPENSATION_FAILED])
def test_compensate_refuses_a_saga_past_its_pivot_or_ended(call: Call, cloud: Cloud, status: OrderStatus) -> None:
    arrange(cloud, "ord-done", status, [SagaState.STARTED])

    response = call("POST", "/sagas/ord-done/compensate")

    assert response.status == 409
    assert status.value in response.body["message"]
    assert cloud.executions() == []
    assert cloud.stack.saga_log.get("ord-done").failure is None


def test_compensate_refuses_a_reason_too_long(call: Call, cloud: Cloud) -> None:
    arrange(cloud, "ord-run", OrderStatus.PENDING, [SagaState.STARTED])

    response = call("POST", "/sagas/ord-run/compensate", body={"reason": "x" * 501})

    assert response.status == 400
    assert [error["field"] for error in response.body["errors"]] == ["reason"]
    assert cloud.executions() == []


def test_a_stuck_return_is_resumed_and_only_a_stuck_one(call: Call, cloud: Cloud) -> None:
    log = cloud.stack.return_saga_log
    log.record("ret-stuck", SagaState.STARTED, "2026-11-22T10:01:00.000Z")
    log.record(
        "ret-stuck", SagaState.COMPENSATION_FAILED, "2026-11-22T10:01:09.000Z", status=ReturnStatus.COMPENSATION_FAILED
    )
    log.record("ret-done", SagaState.STARTED, "2026-11-22T10:02:00.000Z")
    log.record("ret-done", SagaState.COMPLETED, "2026-11-22T10:02:09.000Z", status=ReturnStatus.COMPLETED)

    resumed = call("POST", "/returns/ret-stuck/resume")
    refused = call("POST", "/returns/ret-done/resume")
    unknown = call("POST", "/returns/ret-none/resume")
    by_a_customer = call("POST", "/returns/ret-stuck/resume", caller=claims_of("c-42"))

    [execution] = cloud.executions(cloud.return_state_machine_arn)
    assert resumed.status == 202
    assert resumed.body == {"returnId": "ret-stuck", "executionArn": execution["executionArn"]}
    # only its saga log says COMPENSATION_FAILED (no return stored, so no mark counted): 0
    assert json.loads(execution["input"]) == {"returnId": "ret-stuck", "resumeCompensation": True, "resumesFailure": 0}
    assert refused.status == 409
    assert "only a COMPENSATION_FAILED saga can be resumed" in refused.body["message"]
    assert (unknown.status, unknown.body) == (404, {"message": "no return ret-none"})
    assert by_a_customer.status == 403
