"""What is not one route's business: wrong methods (405), unknown paths (404), the sample events of
`events/`, and the OpenAPI document (served, and committed as openapi.json)."""

from __future__ import annotations

from pathlib import Path

import pytest

from checkout_saga.handlers import api
from tests.api.conftest import ApiResponse, Call, Cloud
from tests.support.events import LambdaContextStub, load_event

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/checkout", "POST"),
        ("DELETE", "/checkout", "POST"),
        ("POST", "/orders/ord-1", "GET"),
        ("DELETE", "/products/KB-001", "GET, PUT"),
        ("PATCH", "/products/KB-001", "GET, PUT"),
        ("POST", "/sagas", "GET"),
        ("PUT", "/openapi.json", "GET"),
        ("OPTIONS", "/checkout", "POST"),
    ],
)
def test_a_wrong_method_on_a_known_path_is_a_405_with_allow(
    call: Call, cloud: Cloud, method: str, path: str, allowed: str
) -> None:
    response = call(method, path)

    assert response.status == 405
    assert response.headers["Allow"] == allowed
    assert set(response.body) == {"message"}
    assert cloud.items("SagaLogTable") == []


@pytest.mark.parametrize("path", ["/", "/nope", "/orders", "/orders/a/b", "/products/a/b", "/checkout/extra"])
def test_an_unknown_path_is_a_404(call: Call, path: str) -> None:
    response = call("GET", path)

    assert response.status == 404
    assert set(response.body) == {"message"}


def test_the_sample_events_work_as_they_are(cloud: Cloud) -> None:
    """The files `sam local invoke ApiFunction -e events/api_*.json` sends."""

    def invoke(name: str) -> ApiResponse:
        return ApiResponse.of(api.handler(load_event(name), LambdaContextStub()))

    assert invoke("api_put_product.json").status == 200
    assert invoke("api_get_product.json").body["sku"] == "KB-001"
    accepted = invoke("api_checkout.json")
    assert accepted.status == 202
    assert invoke("api_checkout.json").body == accepted.body  # it carries an Idempotency-Key
    assert [item["sagaId"] for item in invoke("api_list_sagas.json").body["items"]] == [accepted.body["orderId"]]
    assert invoke("api_get_order.json").status == 404  # ord-sample-0001: the id events/create_order.json uses
    restocked = invoke("api_restock_product.json")
    assert (restocked.status, restocked.body["available"]) == (200, 105)  # api_put_product.json set 100
    assert [product["sku"] for product in invoke("api_list_products.json").body["items"]] == ["KB-001", "MS-001"]
    assert invoke("api_customer_orders.json").body == {"items": [], "next": None}  # the order is not stored yet
    for name in ("api_post_return.json", "api_get_return.json", "api_compensate_saga.json", "api_resume_saga.json"):
        assert invoke(name).status == 404, name  # no order ord-sample-0001, no return ret-sample-0001
    assert invoke("api_erase_customer.json").status == 404  # nothing is stored of c-erased


def test_the_openapi_document_is_served(call: Call) -> None:
    response = call("GET", "/openapi.json")

    assert response.status == 200
    assert response.body == api.openapi_document()
    assert response.body["openapi"].startswith("3.")
    paths = {"/checkout", "/orders/{orderId}", "/orders/{orderId}/returns", "/returns/{returnId}", "/sagas"}
    paths |= {"/sagas/{orderId}/resume", "/sagas/{orderId}/compensate", "/products/{sku}", "/openapi.json"}
    paths |= {"/returns/{returnId}/resume"}
    paths |= {"/products", "/products/{sku}/restock", "/customers/{customerId}/orders", "/customers/me/orders"}
    paths |= {"/sagas/{orderId}/events", "/customers/{customerId}/summary", "/customers/me/summary"}
    paths |= {"/customers/{customerId}/erase"}
    assert set(response.body["paths"]) == paths


def test_the_openapi_document_describes_only_what_the_api_answers() -> None:
    document = api.openapi_document()
    statuses = {
        (path, method): set(operation["responses"])
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }

    assert statuses == {
        ("/checkout", "post"): {"202", "400", "401", "403", "409", "413"},
        ("/orders/{orderId}", "get"): {"200", "400", "401", "404"},
        ("/orders/{orderId}/returns", "post"): {"202", "400", "401", "404", "409", "413"},
        ("/returns/{returnId}", "get"): {"200", "400", "401", "404"},
        ("/sagas", "get"): {"200", "400", "401", "403"},
        ("/sagas/{orderId}/resume", "post"): {"202", "400", "401", "403", "404", "409"},
        ("/returns/{returnId}/resume", "post"): {"202", "400", "401", "403", "404", "409"},
        ("/sagas/{orderId}/compensate", "post"): {"202", "400", "401", "403", "404", "409", "413"},
        ("/products/{sku}", "get"): {"200", "400", "401", "404"},
        ("/products/{sku}", "put"): {"200", "400", "401", "403", "409", "413"},
        ("/products", "get"): {"200", "400", "401", "403"},
        ("/products/{sku}/restock", "post"): {"200", "400", "401", "403", "404", "413"},
        ("/customers/{customerId}/orders", "get"): {"200", "400", "401", "403"},
        ("/customers/me/orders", "get"): {"200", "400", "401"},
        ("/sagas/{orderId}/events", "get"): {"200", "400", "401", "404"},
        ("/customers/{customerId}/summary", "get"): {"200", "400", "401", "403"},
        ("/customers/me/summary", "get"): {"200", "400", "401"},
        ("/customers/{customerId}/erase", "post"): {"200", "400", "401", "403", "404", "409"},
        ("/openapi.json", "get"): {"200"},
    }
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_the_routes_each_request_checks_are_the_documents() -> None:
    """The handler routes and refuses query parameters from the routes themselves (cheaper at a cold start than
    building the document): they must say what the document says."""
    document = api.openapi_document()
    routes = {route.openapi_path + " " + route.method.lower(): route for route in api.app._static_routes}
    routes |= {route.openapi_path + " " + route.method.lower(): route for route in api.app._dynamic_routes}

    assert api.route_methods() == {path: frozenset(operations) for path, operations in document["paths"].items()}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            documented = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            assert api.declared_query_parameters(routes[f"{path} {method}"]) == documented, f"{method} {path}"
    assert api.declared_query_parameters(routes["/sagas get"]) == {"kind", "limit", "next", "status"}


def test_the_committed_openapi_json_is_current() -> None:
    committed = (ROOT / "openapi.json").read_text(encoding="utf-8")

    assert committed == api.openapi_text(), "openapi.json is stale: run `make openapi`"


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [("PUT", "/products/\x84", "sku"), ("GET", "/products/a\x00b", "sku"), ("GET", "/orders/\u2028", "orderId")],
)
def test_a_path_parameter_no_route_pattern_accepts_is_a_400(call: Call, method: str, path: str, field: str) -> None:
    response = call(method, path, body={"name": "x", "unitPriceCents": 1, "available": 1} if method == "PUT" else None)

    assert response.status == 400
    assert [error["field"] for error in response.body["errors"]] == [field]


def test_unknown_query_parameters_are_400s_naming_them(call: Call) -> None:
    listed = call("GET", "/sagas", query={"status": "PENDING", "stauts": "x"})
    order = call("GET", "/orders/ord-1", query={"expand": "all"})

    assert listed.status == order.status == 400
    assert [error["field"] for error in listed.body["errors"]] == ["stauts"]
    assert [error["field"] for error in order.body["errors"]] == ["expand"]
