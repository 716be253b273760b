"""Who may call a route is decided before anything about the request is read: no identity is a 401, a caller the
route is not for a 403, and only then a body that is malformed, too large or not JSON a 400, 413 or 415. A caller
learns nothing about a route's body rules from a route they may not use, and nothing is written."""

import pytest

from tests.api.conftest import Call, Cloud
from tests.support.events import claims_of

CUSTOMER = claims_of("c-42")
BAD_PRODUCT = {"name": "", "unitPriceCents": -1}  # every field wrong
TOO_LARGE = "x" * (65 * 1024)


@pytest.mark.parametrize(
    ("caller", "request_body", "status"),
    [
        (None, {"raw_body": "{not json"}, 401),
        (None, {"body": BAD_PRODUCT}, 401),
        (None, {"raw_body": TOO_LARGE}, 401),
        (None, {"raw_body": "a=b", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}, 401),
        (CUSTOMER, {"raw_body": "{not json"}, 403),
        (CUSTOMER, {"body": BAD_PRODUCT}, 403),
        (CUSTOMER, {"raw_body": TOO_LARGE}, 403),
        (CUSTOMER, {"raw_body": "a=b", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}, 403),
    ],
)
def test_an_operators_route_refuses_the_caller_before_reading_the_body(
    call: Call, cloud: Cloud, caller, request_body, status
) -> None:
    answer = call("PUT", "/products/NEW-001", caller=caller, **request_body)

    assert answer.status == status, answer.body
    assert answer.body["message"] == "Unauthorized" if status == 401 else "operators" in answer.body["message"]
    assert "errors" not in answer.body
    assert cloud.stack.inventory.get_stocked("NEW-001") is None


def test_a_customers_route_refuses_no_identity_before_reading_the_body(call: Call, cloud: Cloud) -> None:
    answer = call("POST", "/checkout", caller=None, body={"items": "not a list"})

    assert (answer.status, answer.body) == (401, {"message": "Unauthorized"})
    assert cloud.items("SagaLogTable") == []


def test_an_allowed_caller_gets_the_body_checked(call: Call) -> None:
    answer = call("PUT", "/products/NEW-001", body=BAD_PRODUCT)  # an operator

    assert answer.status == 400
    assert {error["field"] for error in answer.body["errors"]} >= {"name", "unitPriceCents"}


def test_a_wrong_method_is_still_a_405_for_anyone_signed_in(call: Call) -> None:
    answer = call("DELETE", "/products/KB-001", caller=CUSTOMER)

    assert answer.status == 405
