"""PUT and GET /products/{sku}: store staff maintain the catalog."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Call, Cloud

MONITOR = {"name": "27-inch monitor", "unitPriceCents": 18999, "available": 7}


def test_put_creates_a_product_and_get_reads_it(call: Call, cloud: Cloud) -> None:
    created = call("PUT", "/products/MN-001", body=MONITOR)

    assert created.status == 200
    assert created.body == {"sku": "MN-001", **MONITOR}
    stored = cloud.stack.inventory.get_products(["MN-001"])["MN-001"]
    assert (stored.name, stored.unit_price_cents, stored.available) == ("27-inch monitor", 18999, 7)
    fetched = call("GET", "/products/MN-001")
    assert (fetched.status, fetched.body) == (200, {"sku": "MN-001", **MONITOR})


def test_put_replaces_price_and_stock(call: Call, cloud: Cloud) -> None:
    call("PUT", "/products/KB-001", body={"name": "Keyboard v2", "unitPriceCents": 5999, "available": 40})

    stored = cloud.stack.inventory.get_products(["KB-001"])["KB-001"]
    assert (stored.name, stored.unit_price_cents, stored.available) == ("Keyboard v2", 5999, 40)
    assert len([item for item in cloud.items("InventoryTable") if item["pk"] == "PRODUCT#KB-001"]) == 1


def test_zero_price_and_zero_stock_are_allowed(call: Call) -> None:
    response = call("PUT", "/products/FREE-1", body={"name": "Sticker", "unitPriceCents": 0, "available": 0})

    assert response.status == 200


def test_an_unknown_product_is_a_404(call: Call) -> None:
    response = call("GET", "/products/NOPE-1")

    assert response.status == 404
    assert set(response.body) == {"message"}


INVALID_PRODUCTS: list[tuple[str, Any, set[str]]] = [
    ("missing name", {"unitPriceCents": 1, "available": 1}, {"name"}),
    ("empty name", {**MONITOR, "name": ""}, {"name"}),
    ("name of 201 chars", {**MONITOR, "name": "n" * 201}, {"name"}),
    ("name a lone surrogate", {**MONITOR, "name": "\udfff"}, {"name"}),
    ("negative price", {**MONITOR, "unitPriceCents": -1}, {"unitPriceCents"}),
    ("price a float", {**MONITOR, "unitPriceCents": 18.99}, {"unitPriceCents"}),
    ("price a string", {**MONITOR, "unitPriceCents": "18999"}, {"unitPriceCents"}),
    ("price beyond DynamoDB", {**MONITOR, "unitPriceCents": 10**40}, {"unitPriceCents"}),
    ("negative stock", {**MONITOR, "available": -5}, {"available"}),
    ("stock null", {**MONITOR, "available": None}, {"available"}),
    ("an unknown field", {**MONITOR, "sku": "OTHER-1"}, {"sku"}),
    ("an array", [MONITOR], {"body"}),
]


@pytest.mark.parametrize(("case", "body", "fields"), INVALID_PRODUCTS, ids=[case for case, _, _ in INVALID_PRODUCTS])
def test_an_invalid_product_is_a_400_and_nothing_is_stored(
    call: Call, cloud: Cloud, case: str, body: Any, fields: set[str]
) -> None:
    response = call("PUT", "/products/MN-001", body=body)

    assert response.status == 400, case
    assert {error["field"] for error in response.body["errors"]} == fields
    assert cloud.stack.inventory.get_products(["MN-001"]) == {}


@pytest.mark.parametrize("sku", ["-leading-dash", "has space", "S" * 65, "ñandú"])
def test_a_malformed_sku_is_a_400(call: Call, cloud: Cloud, sku: str) -> None:
    put = call("PUT", f"/products/{sku}", body=MONITOR)
    get = call("GET", f"/products/{sku}")

    assert (put.status, get.status) == (400, 400)
    assert [error["field"] for error in put.body["errors"]] == ["sku"]
    assert len(cloud.items("InventoryTable")) == 2  # the seeded catalog only
