"""PUT and GET /products/{sku}: store staff maintain the catalog."""

from __future__ import annotations

from typing import Any

import pytest

from checkout_saga.models import PricedItem
from tests.api.conftest import Call, Cloud

MONITOR = {"name": "27-inch monitor", "unitPriceCents": 18999, "available": 7}


def test_put_creates_a_product_and_get_reads_it(call: Call, cloud: Cloud) -> None:
    created = call("PUT", "/products/MN-001", body=MONITOR)

    assert created.status == 200
    assert created.body == {"sku": "MN-001", **MONITOR, "version": 1}
    stored = cloud.stack.inventory.get_products(["MN-001"])["MN-001"]
    assert (stored.name, stored.unit_price_cents, stored.available) == ("27-inch monitor", 18999, 7)
    fetched = call("GET", "/products/MN-001")
    assert (fetched.status, fetched.body) == (200, {"sku": "MN-001", **MONITOR, "version": 1})


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


# -------------------------------------------------------------- stocktake vs delivery
def test_put_based_on_a_version_refuses_a_count_that_a_sale_made_stale(call: Call, cloud: Cloud) -> None:
    read = call("GET", "/products/KB-001").body
    cloud.stack.inventory.reserve("ord-sale", [_kb(2)])  # a checkout takes 2 after the count was made

    stale = call("PUT", "/products/KB-001", body={**_counted(read), "available": 50, "version": read["version"]})

    assert stale.status == 409
    assert "count again" in stale.body["message"]
    assert call("GET", "/products/KB-001").body["available"] == 8  # the sale is kept, the stale count is not
    fresh = call("GET", "/products/KB-001").body
    counted = call("PUT", "/products/KB-001", body={**_counted(fresh), "available": 50, "version": fresh["version"]})
    assert (counted.status, counted.body["available"], counted.body["version"]) == (200, 50, fresh["version"] + 1)


def test_put_without_a_version_sets_the_count_on_the_version_it_read(call: Call, cloud: Cloud) -> None:
    before = call("GET", "/products/KB-001").body["version"]

    response = call("PUT", "/products/KB-001", body={"name": "Keyboard", "unitPriceCents": 4999, "available": 3})

    assert (response.status, response.body["available"], response.body["version"]) == (200, 3, before + 1)


def test_restock_adds_units_atomically(call: Call, cloud: Cloud) -> None:
    version = call("GET", "/products/MS-001").body["version"]

    response = call("POST", "/products/MS-001/restock", body={"quantity": 7})

    assert response.status == 200
    assert (response.body["available"], response.body["version"]) == (12, version + 1)
    assert cloud.stack.inventory.get_products(["MS-001"])["MS-001"].available == 12


@pytest.mark.parametrize("quantity", [0, -1, 1_000_001, "3", 2.5, None])
def test_restock_refuses_a_quantity_out_of_range(call: Call, cloud: Cloud, quantity: Any) -> None:
    response = call("POST", "/products/MS-001/restock", body={"quantity": quantity})

    assert response.status == 400
    assert [error["field"] for error in response.body["errors"]] == ["quantity"]
    assert cloud.stack.inventory.get_products(["MS-001"])["MS-001"].available == 5


def test_restock_of_an_unknown_product_is_a_404_and_creates_nothing(call: Call, cloud: Cloud) -> None:
    response = call("POST", "/products/NOPE-1/restock", body={"quantity": 3})

    assert response.status == 404
    assert cloud.stack.inventory.get_products(["NOPE-1"]) == {}


def test_products_are_listed_by_sku_a_page_at_a_time_without_reservations(call: Call, cloud: Cloud) -> None:
    for sku in ("AA-001", "ZZ-001"):
        call("PUT", f"/products/{sku}", body={"name": sku, "unitPriceCents": 100, "available": 1})
    cloud.stack.inventory.reserve("ord-listed", [_kb(1)])

    first = call("GET", "/products", query={"limit": "3"}).body
    second = call("GET", "/products", query={"limit": "3", "next": first["next"]}).body

    assert [product["sku"] for product in first["items"]] == ["AA-001", "KB-001", "MS-001"]
    assert [product["sku"] for product in second["items"]] == ["ZZ-001"]
    assert second["next"] is None
    assert first["items"][1]["available"] == 9


def test_a_bad_products_page_token_is_a_400(call: Call) -> None:
    response = call("GET", "/products", query={"next": "not-a-token"})

    assert response.status == 400
    assert [error["field"] for error in response.body["errors"]] == ["next"]


def _kb(quantity: int) -> PricedItem:
    return PricedItem(sku="KB-001", quantity=quantity, unit_price_cents=4999)


def _counted(product: dict[str, Any]) -> dict[str, Any]:
    return {key: product[key] for key in ("name", "unitPriceCents", "available")}
