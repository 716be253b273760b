"""GET /customers/{customerId}/orders (operators) and /customers/me/orders (the signed-in customer): a customer's
orders, newest first, paged, from an index."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from checkout_saga.api_models import CustomerOrderPage, PageToken
from checkout_saga.handlers.api_routes.access import signed_in_caller
from checkout_saga.handlers.api_routes.errors import bad_page_token, documented
from checkout_saga.handlers.dependencies import api_dependencies
from checkout_saga.logic.customer_orders import list_customer_orders
from checkout_saga.logic.page_tokens import BadPageToken
from checkout_saga.models import CustomerId

router = APIGatewayRouter()  # type: ignore[no-untyped-call]


@router.get(
    "/customers/me/orders",
    summary="The signed-in customer's orders, newest first",
    responses=documented(200, "One page of the caller's orders", 400),
    tags=["orders"],
)
def get_my_orders(
    limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 20,
    next_token: Annotated[PageToken | None, Query(alias="next", description="`next` of the previous page")] = None,
) -> CustomerOrderPage:
    return _orders_of(signed_in_caller(router.current_event.raw_event).username, limit, next_token)


@router.get(
    "/customers/<customerId>/orders",
    summary="A customer's orders, newest first",
    responses=documented(200, "One page of the customer's orders", 400),
    tags=["orders"],
)
def get_customer_orders(
    customer_id: Annotated[CustomerId, Path(alias="customerId")],
    limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 20,
    next_token: Annotated[PageToken | None, Query(alias="next", description="`next` of the previous page")] = None,
) -> CustomerOrderPage:
    return _orders_of(customer_id, limit, next_token)


def _orders_of(customer_id: str, limit: int, next_token: str | None) -> CustomerOrderPage:
    try:
        return list_customer_orders(customer_id, limit, next_token, api_dependencies().repos.orders)
    except BadPageToken as exc:
        raise bad_page_token(exc) from exc
