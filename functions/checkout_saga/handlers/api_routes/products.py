"""The catalog as store staff maintain it: GET/PUT /products/{sku} (PUT is a stocktake: it sets the units
there are), POST /products/{sku}/restock (a delivery: adds units), GET /products (paged)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from checkout_saga.api_models import ProductInput, ProductPage, RestockInput
from checkout_saga.handlers.api_routes.errors import Conflict, NotFound, documented
from checkout_saga.handlers.api_routes.paging import NextPage, PageSize
from checkout_saga.handlers.dependencies import api_dependencies
from checkout_saga.logic.catalog import ProductChanged, UnknownSku, list_products, restock, stocktake
from checkout_saga.models import Product, Sku, StockedProduct

router = APIGatewayRouter()  # type: ignore[no-untyped-call]
SkuPath = Annotated[Sku, Path()]


@router.get(
    "/products",
    summary="The catalog, by sku, a page at a time",
    responses=documented(200, "One page of products", 400),
    tags=["products"],
)
def get_products(limit: PageSize = 20, next_token: NextPage = None) -> ProductPage:
    page = list_products(limit, next_token, api_dependencies().repos.inventory)
    return ProductPage(items=page.items, next=page.next)


@router.get(
    "/products/<sku>",
    summary="A product of the catalog",
    responses=documented(200, "The product", 400, 404),
    tags=["products"],
)
def get_product(sku: SkuPath) -> StockedProduct:
    product = api_dependencies().repos.inventory.get_stocked(sku)
    if product is None:
        raise NotFound(f"no product {sku}")
    return product


@router.put(
    "/products/<sku>",
    summary="Create or set a product as counted (a stocktake: the units there are)",
    responses=documented(200, "The product as stored", 400, 409),
    tags=["products"],
)
def put_product(sku: SkuPath, product: ProductInput) -> StockedProduct:
    try:
        counted = Product(
            sku=sku,
            name=product.name,
            unit_price_cents=product.unit_price_cents,
            available=product.available,
            shards=product.shards,
        )
        return stocktake(counted, product.version, api_dependencies().repos.inventory)
    except ProductChanged as exc:
        raise Conflict(str(exc)) from exc


@router.post(
    "/products/<sku>/restock",
    summary="Add delivered units to what is available (atomic: sales at the same moment lose nothing)",
    responses=documented(200, "The product as stored", 400, 404),
    tags=["products"],
)
def post_restock(sku: SkuPath, delivery: RestockInput) -> StockedProduct:
    try:
        return restock(sku, delivery.quantity, api_dependencies().repos.inventory)
    except UnknownSku as exc:
        raise NotFound(str(exc)) from exc
