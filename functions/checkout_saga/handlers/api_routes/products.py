"""PUT and GET /products/{sku}: the catalog, as store staff maintain it."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from checkout_saga.api_models import ProductInput
from checkout_saga.handlers.api_routes.errors import NotFound, documented
from checkout_saga.handlers.dependencies import api_dependencies
from checkout_saga.models import Product, Sku

router = APIGatewayRouter()  # type: ignore[no-untyped-call]
SkuPath = Annotated[Sku, Path()]


@router.get(
    "/products/<sku>",
    summary="A product of the catalog",
    responses=documented(200, "The product", 400, 404),
    tags=["products"],
)
def get_product(sku: SkuPath) -> Product:
    product = api_dependencies().repos.inventory.get_products([sku]).get(sku)
    if product is None:
        raise NotFound(f"no product {sku}")
    return product


@router.put(
    "/products/<sku>",
    summary="Create or replace a product (its price and the units available)",
    responses=documented(200, "The product as stored", 400),
    tags=["products"],
)
def put_product(sku: SkuPath, product: ProductInput) -> Product:
    stored = Product(sku=sku, name=product.name, unit_price_cents=product.unit_price_cents, available=product.available)
    return api_dependencies().repos.inventory.put_product(stored)
