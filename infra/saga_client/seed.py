"""Seeds the store's catalog through the API (PUT /products/{sku}), from catalog.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from saga_client.api_client import CheckoutApi

CATALOG_FILE = Path(__file__).with_name("catalog.json")


def load_catalog() -> list[dict[str, Any]]:
    return list(json.loads(CATALOG_FILE.read_text()))


def seed_catalog(api: CheckoutApi) -> list[dict[str, Any]]:
    return [api.put_product(product) | {"sku": product["sku"]} for product in load_catalog()]
