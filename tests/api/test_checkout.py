"""POST /checkout (openapi.json): 202 and the saga it starts, every rule of its input, Idempotency-Key."""

from __future__ import annotations

import base64
import hashlib
import json
import tracemalloc
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from checkout_saga.dal.dynamodb_saga_log import DynamoDBSagaLog
from checkout_saga.models import SagaState
from tests.api.conftest import Call, Cloud, checkout_body
from tests.support.events import claims_of


def emitted_metrics(output: str) -> list[str]:
    """Names of the metrics flushed as CloudWatch embedded-metric documents on stdout."""
    names: list[str] = []
    for line in output.splitlines():
        if line.startswith('{"_aws"'):
            document = json.loads(line)
            names += [m["Name"] for d in document["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]]
    return names


def assert_nothing_stored(cloud: Cloud) -> None:
    assert cloud.items("SagaLogTable") == []
    assert cloud.items("OrdersTable") == []
    assert cloud.items("IdempotencyTable") == []
    assert cloud.executions() == []


# ----------------------------------------------------------------------------- accepted
def test_checkout_is_accepted_and_starts_the_saga_named_after_the_order(
    call: Call, cloud: Cloud, capsys: pytest.CaptureFixture[str]
) -> None:
    response = call("POST", "/checkout", body=checkout_body())

    assert response.status == 202
    assert set(response.body) == {"orderId", "status", "executionArn"}
    order_id = response.body["orderId"]
    assert response.body["status"] == "PENDING"
    # The execution's name is the order id and its input is priced from the catalog, server side.
    [execution] = cloud.executions()
    assert execution["executionArn"] == response.body["executionArn"]
    assert execution["name"] == order_id
    saga_input = json.loads(execution["input"])
    sealed = saga_input.pop("sealedPaymentToken")
    assert saga_input == {
        "orderId": order_id,
        "customerId": "c-42",
        "items": [
            {"sku": "KB-001", "quantity": 2, "unitPriceCents": 4999},
            {"sku": "MS-001", "quantity": 1, "unitPriceCents": 2599},
        ],
    }
    # The payment token travels sealed with the stack's KMS key, for this order only: never as is.
    assert "tok_visa" not in execution["input"]
    kms = boto3.client("kms", region_name="us-east-1")
    opened = kms.decrypt(CiphertextBlob=base64.b64decode(sealed), EncryptionContext={"orderId": order_id})
    assert opened["Plaintext"] == b"tok_visa"
    with pytest.raises(ClientError):
        kms.decrypt(CiphertextBlob=base64.b64decode(sealed), EncryptionContext={"orderId": "another-order"})
    # The saga is logged STARTED with its customer, so GET /orders/{id} answers at once.
    [saga] = cloud.items("SagaLogTable")
    assert saga["sagaId"] == order_id
    assert (saga["status"], saga["state"], saga["customerId"]) == ("PENDING", "STARTED", "c-42")
    assert [entry["state"] for entry in saga["history"]] == ["STARTED"]
    # SagaStarted is CreateOrder's to count (once, with the order): the API counts nothing.
    assert emitted_metrics(capsys.readouterr().out) == []
    # Nothing else: CreateOrder stores the order; no idempotency record without a key.
    assert cloud.items("OrdersTable") == []
    assert cloud.items("IdempotencyTable") == []


def test_each_checkout_is_a_new_order(call: Call, cloud: Cloud) -> None:
    first = call("POST", "/checkout", body=checkout_body())
    second = call("POST", "/checkout", body=checkout_body())

    assert first.body["orderId"] != second.body["orderId"]
    assert len(cloud.executions()) == 2


def test_unicode_text_is_kept_intact(call: Call, cloud: Cloud) -> None:
    response = call("POST", "/checkout", body=checkout_body(customerId="Zoë 客户 🛒"))

    assert response.status == 202
    [saga] = cloud.items("SagaLogTable")
    assert saga["customerId"] == "Zoë 客户 🛒"


def test_an_unknown_sku_is_a_400_naming_it_and_nothing_is_stored(call: Call, cloud: Cloud) -> None:
    body = checkout_body(items=[{"sku": "KB-001", "quantity": 1}, {"sku": "NOPE-1", "quantity": 1}])

    response = call("POST", "/checkout", body=body, headers={"Idempotency-Key": "k-unknown"})

    assert response.status == 400
    assert "NOPE-1" in response.body["message"]
    assert response.body["errors"] == [{"field": "items[1].sku", "message": "unknown sku 'NOPE-1'"}]
    assert_nothing_stored(cloud)  # the key was released too: it can be used again


# ------------------------------------------------------------------------------ invalid
ITEM = {"sku": "KB-001", "quantity": 1}
INVALID_BODIES: list[tuple[str, Any, set[str]]] = [
    ("empty customerId", checkout_body(customerId=""), {"customerId"}),
    ("customerId of 65 chars", checkout_body(customerId="c" * 65), {"customerId"}),
    ("customerId a number", checkout_body(customerId=42), {"customerId"}),
    ("customerId null", checkout_body(customerId=None), {"customerId"}),
    ("customerId a lone surrogate", checkout_body(customerId="\ud800"), {"customerId"}),
    ("no items", checkout_body(items=[]), {"items"}),
    ("51 items", checkout_body(items=[{"sku": f"S-{i}", "quantity": 1} for i in range(51)]), {"items"}),
    ("items an object", checkout_body(items=ITEM), {"items"}),
    ("item not an object", checkout_body(items=["KB-001"]), {"items[0]"}),
    ("a sku twice", checkout_body(items=[ITEM, {"sku": "KB-001", "quantity": 2}]), {"items"}),
    ("sku with a space", checkout_body(items=[{"sku": "KB 001", "quantity": 1}]), {"items[0].sku"}),
    ("sku of 65 chars", checkout_body(items=[{"sku": "K" * 65, "quantity": 1}]), {"items[0].sku"}),
    ("sku empty", checkout_body(items=[{"sku": "", "quantity": 1}]), {"items[0].sku"}),
    ("sku missing", checkout_body(items=[{"quantity": 1}]), {"items[0].sku"}),
    ("quantity 0", checkout_body(items=[{"sku": "KB-001", "quantity": 0}]), {"items[0].quantity"}),
    ("quantity 1001", checkout_body(items=[{"sku": "KB-001", "quantity": 1001}]), {"items[0].quantity"}),
    ("quantity negative", checkout_body(items=[{"sku": "KB-001", "quantity": -1}]), {"items[0].quantity"}),
    ("quantity a string", checkout_body(items=[{"sku": "KB-001", "quantity": "3"}]), {"items[0].quantity"}),
    ("quantity a float", checkout_body(items=[{"sku": "KB-001", "quantity": 2.0}]), {"items[0].quantity"}),
    ("quantity a boolean", checkout_body(items=[{"sku": "KB-001", "quantity": True}]), {"items[0].quantity"}),
    ("quantity huge", checkout_body(items=[{"sku": "KB-001", "quantity": 10**30}]), {"items[0].quantity"}),
    ("quantity missing", checkout_body(items=[{"sku": "KB-001"}]), {"items[0].quantity"}),
    ("a price from the client", checkout_body(items=[{**ITEM, "unitPriceCents": 1}]), {"items[0].unitPriceCents"}),
    ("an unknown field", checkout_body(coupon="FREE"), {"coupon"}),
    ("paymentToken missing", {"customerId": "c-42", "items": [ITEM]}, {"paymentToken"}),
    ("paymentToken empty", checkout_body(paymentToken=""), {"paymentToken"}),
    ("paymentToken of 65 chars", checkout_body(paymentToken="t" * 65), {"paymentToken"}),
    ("body an array", [checkout_body()], {"body"}),
    ("body a string", "checkout", {"body"}),
    ("body null", None, {"body"}),
    ("several mistakes", {"customerId": "", "items": [], "paymentToken": 7}, {"customerId", "items", "paymentToken"}),
]


@pytest.mark.parametrize(("case", "body", "fields"), INVALID_BODIES, ids=[case for case, _, _ in INVALID_BODIES])
def test_invalid_input_is_a_400_naming_each_bad_field_and_nothing_is_stored(
    call: Call, cloud: Cloud, case: str, body: Any, fields: set[str]
) -> None:
    response = call("POST", "/checkout", body=body, headers={"Idempotency-Key": "k-invalid"})

    assert response.status == 400, case
    assert set(response.body) == {"message", "errors"}
    assert {error["field"] for error in response.body["errors"]} == fields
    assert all(error["message"] for error in response.body["errors"])
    assert_nothing_stored(cloud)


RAW_BODIES = [
    ("not JSON", "{customerId: c-42}"),
    ("truncated JSON", '{"customerId": "c-42", "items": ['),
    ("empty object", "{}"),
    ("NaN", '{"customerId": "c", "items": [{"sku": "KB-001", "quantity": NaN}], "paymentToken": "t"}'),
    ("an integer of 5000 digits", '{"items": [{"sku": "KB-001", "quantity": ' + "9" * 5000 + "}]}"),
    ("a number too large for a float", '{"items": [{"sku": "KB-001", "quantity": 1e400}]}'),
    ("nested 30000 deep", "[" * 30_000 + "]" * 30_000),  # deeper than Python parses, within 64 KiB
    ("invalid UTF-16 escape", '{"customerId": "\\ud800\\u0041", "items": [], "paymentToken": "t"}'),
    ("binary noise", "\x00\x01\x02\xff"),
]


@pytest.mark.parametrize(("case", "raw"), RAW_BODIES, ids=[case for case, _ in RAW_BODIES])
def test_unreadable_bodies_are_400s(call: Call, cloud: Cloud, case: str, raw: str) -> None:
    response = call("POST", "/checkout", raw_body=raw)

    assert response.status == 400, case
    assert response.body["errors"]
    assert_nothing_stored(cloud)


def test_a_missing_body_is_a_400(call: Call, cloud: Cloud) -> None:
    response = call("POST", "/checkout")

    assert response.status == 400
    assert response.body["errors"] == [{"field": "body", "message": "a JSON body is required"}]
    assert_nothing_stored(cloud)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "application/xml"],
)
def test_a_body_that_is_not_json_is_a_400(call: Call, cloud: Cloud, content_type: str) -> None:
    response = call("POST", "/checkout", body=checkout_body(), headers={"Content-Type": content_type})

    assert response.status == 400
    assert response.body["errors"][0]["field"] == "Content-Type"
    assert_nothing_stored(cloud)


def test_json_with_a_charset_is_json(call: Call) -> None:
    response = call(
        "POST", "/checkout", body=checkout_body(), headers={"Content-Type": "application/json; charset=utf-8"}
    )

    assert response.status == 202


# -------------------------------------------------------------------------- idempotency
def test_the_same_key_and_body_give_the_same_order_and_one_saga(
    call: Call, cloud: Cloud, capsys: pytest.CaptureFixture[str]
) -> None:
    first = call("POST", "/checkout", body=checkout_body(), headers={"Idempotency-Key": "order-7f3a"})
    # the same body, its keys in another order: the same request
    again = call(
        "POST", "/checkout", body=dict(reversed(checkout_body().items())), headers={"Idempotency-Key": "order-7f3a"}
    )

    assert first.status == 202
    assert again.status in (200, 202)
    assert again.body == first.body
    assert len(cloud.executions()) == 1
    assert len(cloud.items("SagaLogTable")) == 1
    [record] = cloud.items("IdempotencyTable")
    assert record["status"] == "COMPLETED"
    assert emitted_metrics(capsys.readouterr().out) == []  # SagaStarted is CreateOrder's


def fail_once_after_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """The API's call fails once it has started the saga: its STARTED transition is lost (like a call that timed
    out there), so powertools releases the key and the client's retry runs again."""
    original = DynamoDBSagaLog.record
    failures = iter([RuntimeError("the saga log is unreachable")])

    def record(self: DynamoDBSagaLog, saga_id: str, state: SagaState, *args: Any, **kwargs: Any) -> bool:
        failure = next(failures, None) if state is SagaState.STARTED else None
        if failure is not None:
            raise failure
        return original(self, saga_id, state, *args, **kwargs)

    monkeypatch.setattr(DynamoDBSagaLog, "record", record)


def test_a_retry_after_a_call_that_failed_once_the_saga_had_started_finds_that_saga(
    call: Call, cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    fail_once_after_the_start(monkeypatch)
    key = {"Idempotency-Key": "order-lost-answer"}

    with pytest.raises(RuntimeError, match="unreachable"):  # the invocation fails: API Gateway answers 502
        call("POST", "/checkout", body=checkout_body(), headers=key)
    [started] = cloud.executions()
    retried = call("POST", "/checkout", body=checkout_body(), headers=key)

    assert retried.status == 202
    assert retried.body["orderId"] == started["name"]  # the saga the failed call started, not a second one
    assert [e["name"] for e in cloud.executions()] == [started["name"]]
    [saga] = cloud.items("SagaLogTable")
    assert (saga["sagaId"], [entry["state"] for entry in saga["history"]]) == (started["name"], ["STARTED"])
    [record] = cloud.items("IdempotencyTable")
    assert record["status"] == "COMPLETED"


def test_the_same_key_with_another_body_is_a_409(call: Call, cloud: Cloud) -> None:
    first = call("POST", "/checkout", body=checkout_body(), headers={"Idempotency-Key": "order-7f3a"})
    other = call("POST", "/checkout", body=checkout_body(customerId="c-43"), headers={"Idempotency-Key": "order-7f3a"})

    assert first.status == 202
    assert other.status == 409
    assert set(other.body) == {"message"}
    assert [e["name"] for e in cloud.executions()] == [first.body["orderId"]]
    assert len(cloud.items("SagaLogTable")) == 1


def test_different_keys_are_different_orders(call: Call, cloud: Cloud) -> None:
    first = call("POST", "/checkout", body=checkout_body(), headers={"Idempotency-Key": "a"})
    second = call("POST", "/checkout", body=checkout_body(), headers={"Idempotency-Key": "b"})

    assert first.body["orderId"] != second.body["orderId"]
    assert len(cloud.executions()) == 2


@pytest.mark.parametrize("key", ["", "has space", "k" * 65, "ключ", "a/b", "a.b"])
def test_a_malformed_idempotency_key_is_a_400(call: Call, cloud: Cloud, key: str) -> None:
    response = call("POST", "/checkout", body=checkout_body(), headers={"Idempotency-Key": key})

    assert response.status == 400
    assert [error["field"] for error in response.body["errors"]] == ["Idempotency-Key"]
    assert_nothing_stored(cloud)


def test_a_key_of_64_characters_is_accepted(call: Call) -> None:
    response = call("POST", "/checkout", body=checkout_body(), headers={"Idempotency-Key": "K_-9" * 16})

    assert response.status == 202


# ------------------------------------------------------------------------- body size
def test_a_body_over_64_kib_is_a_413_and_nothing_is_stored(call: Call, cloud: Cloud) -> None:
    padded = json.dumps(checkout_body())
    at_limit = padded + " " * (64 * 1024 - len(padded))  # whitespace is valid JSON: the same request, 64 KiB

    assert call("POST", "/checkout", raw_body=at_limit + " ").status == 413
    assert call("POST", "/checkout", raw_body="é" * (32 * 1024 + 1)).status == 413  # 2 bytes a character
    assert_nothing_stored(cloud)
    assert call("POST", "/checkout", raw_body=at_limit).status == 202


def test_a_huge_json_array_is_refused_without_being_parsed(call: Call, cloud: Cloud) -> None:
    huge = json.dumps([{"sku": "KB-001", "quantity": 1}] * 200_000)  # about 6 MB, Lambda's largest request
    tracemalloc.start()
    try:
        response = call("POST", "/checkout", raw_body=huge)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert response.status == 413
    assert response.body == {"message": "the request body may be at most 65536 bytes"}
    assert peak < len(huge)  # parsing would take many times the body's size; measuring it takes nothing like it
    assert_nothing_stored(cloud)


def test_each_caller_has_keys_of_their_own(call: Call, cloud: Cloud) -> None:
    # Given two customers who happen to pick the same key
    body = {k: v for k, v in checkout_body().items() if k != "customerId"}  # the order's customer is the caller
    key = {"Idempotency-Key": "k1"}
    mine = call("POST", "/checkout", body=body, headers=key, caller=claims_of("c-42"))
    theirs = call("POST", "/checkout", body=body, headers=key, caller=claims_of("c-77"))

    # Then each gets an order of their own, and neither learns of the other's
    assert (mine.status, theirs.status) == (202, 202)
    assert mine.body["orderId"] != theirs.body["orderId"]
    started = {json.loads(e["input"])["customerId"] for e in cloud.executions()}
    assert started == {"c-42", "c-77"}


def test_the_key_record_holds_nothing_of_the_payment_token(call: Call, cloud: Cloud) -> None:
    token = "tok_visa_7d1f0c2b9e4a"
    first = call("POST", "/checkout", body=checkout_body(paymentToken=token), headers={"Idempotency-Key": "k2"})
    # the token is not part of what a key compares: a retry that changed only the token is the same checkout
    again = call("POST", "/checkout", body=checkout_body(paymentToken="tok_other"), headers={"Idempotency-Key": "k2"})

    assert first.status == 202
    assert again.body == first.body
    assert len(cloud.executions()) == 1
    [record] = cloud.items("IdempotencyTable")
    assert token not in json.dumps(record, default=str)
    body_without_token = {k: v for k, v in checkout_body(paymentToken=token).items() if k != "paymentToken"}
    assert (
        record["validation"]
        == hashlib.md5(
            json.dumps({**body_without_token, "coordination": "orchestration"}, sort_keys=True).encode()
        ).hexdigest()
    )
