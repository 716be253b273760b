"""PUT and GET /products/{sku}: store staff maintain the catalog."""

from __future__ import annotations

from typing import Any

import pytest

from checkout_saga.errors import OutOfStock
from checkout_saga.logic.inventory import take_stock
from checkout_saga.models import PricedItem
from tests.api.conftest import Call, Cloud

MONITOR = {"name": "27-inch monitor", "unitPriceCents": 18999, "available": 7}


def test_put_creates_a_product_and_get_reads_it(call: Call, cloud: Cloud) -> None:
    created = call("PUT", "/products/MN-001", body=MONITOR)

    assert created.status == 200
    assert created.body == {"sku": "MN-001", **MONITOR, "shards": 1, "version": 1}
    stored = cloud.stack.inventory.get_products(["MN-001"])["MN-001"]
    assert (stored.name, stored.unit_price_cents, stored.available) == ("27-inch monitor", 18999, 7)
    fetched = call("GET", "/products/MN-001")
    assert (fetched.status, fetched.body) == (200, {"sku": "MN-001", **MONITOR, "shards": 1, "version": 1})


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
    take_stock("ord-sale", [_kb(2)], cloud.stack.inventory, None)  # a checkout takes 2 after the count was made

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
    take_stock("ord-listed", [_kb(1)], cloud.stack.inventory, None)

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


# -------------------------------------------------------------- a hot product's shards
def _shards(cloud: Cloud, sku: str) -> dict[str, int]:
    return {
        str(item["pk"]): int(item["available"])
        for item in cloud.items("InventoryTable")
        if str(item["pk"]).startswith(f"PRODUCT#{sku}")
    }


def test_a_sharded_product_splits_its_stock_and_answers_the_total(call: Call, cloud: Cloud) -> None:
    put = call("PUT", "/products/HOT-001", body={"name": "Hot", "unitPriceCents": 500, "available": 10, "shards": 4})

    assert (put.status, put.body["available"], put.body["shards"]) == (200, 10, 4)
    assert _shards(cloud, "HOT-001") == {
        "PRODUCT#HOT-001": 3,
        "PRODUCT#HOT-001#1": 3,
        "PRODUCT#HOT-001#2": 2,
        "PRODUCT#HOT-001#3": 2,
    }
    restocked = call("POST", "/products/HOT-001/restock", body={"quantity": 6})
    assert restocked.body["available"] == 16
    assert sum(_shards(cloud, "HOT-001").values()) == 16
    listed = [p for p in call("GET", "/products", query={"limit": "50"}).body["items"] if p["sku"] == "HOT-001"]
    assert [(p["available"], p["version"]) for p in listed] == [(16, restocked.body["version"])]


def test_reservations_spread_over_the_shards_and_sell_every_unit_never_more(call: Call, cloud: Cloud) -> None:
    call("PUT", "/products/HOT-002", body={"name": "Hot", "unitPriceCents": 500, "available": 7, "shards": 3})
    starts = iter([0, 1, 2, 2, 2, 2, 2, 0])
    for order in range(7):
        take_stock(f"ord-hot-{order}", [_hot(1)], cloud.stack.inventory, None, start=lambda n: next(starts) % n)
    with pytest.raises(OutOfStock, match="0 available"):
        take_stock("ord-hot-late", [_hot(1)], cloud.stack.inventory, None, start=lambda n: 0)

    assert set(_shards(cloud, "HOT-002").values()) == {0}
    reservation = cloud.stack.inventory.get_reservation("ord-hot-0")
    assert reservation is not None
    assert [(take.shard, take.quantity) for take in reservation.takes] == [(0, 1)]


def test_a_release_gives_each_unit_back_to_its_shard_once(call: Call, cloud: Cloud) -> None:
    call("PUT", "/products/HOT-002", body={"name": "Hot", "unitPriceCents": 500, "available": 4, "shards": 2})
    take_stock("ord-spread", [_hot(3)], cloud.stack.inventory, None, start=lambda n: 1)
    assert _shards(cloud, "HOT-002") == {"PRODUCT#HOT-002": 1, "PRODUCT#HOT-002#1": 0}

    cloud.stack.inventory.release("ord-spread")
    cloud.stack.inventory.release("ord-spread")  # delivered twice: gives back once

    assert _shards(cloud, "HOT-002") == {"PRODUCT#HOT-002": 2, "PRODUCT#HOT-002#1": 2}
    assert call("GET", "/products/HOT-002").body["available"] == 4


def test_fewer_shards_empty_the_others_and_a_late_release_is_still_counted(call: Call, cloud: Cloud) -> None:
    call("PUT", "/products/HOT-002", body={"name": "Hot", "unitPriceCents": 500, "available": 4, "shards": 4})
    take_stock("ord-before", [_hot(1)], cloud.stack.inventory, None, start=lambda n: 3)
    fewer = call("PUT", "/products/HOT-002", body={"name": "Hot", "unitPriceCents": 500, "available": 5, "shards": 1})
    assert (fewer.body["available"], fewer.body["shards"]) == (5, 1)

    cloud.stack.inventory.release("ord-before")  # the unit goes back to shard 3, which still counts and sells

    assert call("GET", "/products/HOT-002").body["available"] == 6
    take_stock("ord-after", [_hot(6)], cloud.stack.inventory, None, start=lambda n: 0)
    assert call("GET", "/products/HOT-002").body["available"] == 0


@pytest.mark.parametrize("shards", [0, 33, "2"])
def test_a_shard_count_out_of_range_is_refused_and_nothing_is_written(call: Call, cloud: Cloud, shards: Any) -> None:
    put = call(
        "PUT", "/products/HOT-003", body={"name": "Hot", "unitPriceCents": 500, "available": 4, "shards": shards}
    )

    assert put.status == 400
    assert [error["field"] for error in put.body["errors"]] == ["shards"]
    assert _shards(cloud, "HOT-003") == {}


def _hot(quantity: int) -> PricedItem:
    return PricedItem(sku="HOT-002", quantity=quantity, unit_price_cents=500)
