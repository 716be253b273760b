"""GET /customers/{customerId}/orders (operators) and /customers/me/orders (the signed-in customer): a customer's
orders, newest first, paged, from an index."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from checkout_saga.api_models import CustomerOrder, CustomerOrderPage
from checkout_saga.handlers.api_routes.access import signed_in_caller
from checkout_saga.handlers.api_routes.errors import documented
from checkout_saga.handlers.api_routes.paging import NextPage, PageSize
from checkout_saga.handlers.dependencies import api_dependencies
from checkout_saga.logic.customer_orders import list_customer_orders
from checkout_saga.models import CustomerId

router = APIGatewayRouter()  # type: ignore[no-untyped-call]


@router.get(
    "/customers/me/orders",
    summary="The signed-in customer's orders, newest first",
    responses=documented(200, "One page of the caller's orders", 400),
    tags=["orders"],
)
def get_my_orders(limit: PageSize = 20, next_token: NextPage = None) -> CustomerOrderPage:
    return _orders_of(signed_in_caller(router.current_event.raw_event).username, limit, next_token)


@router.get(
    "/customers/<customerId>/orders",
    summary="A customer's orders, newest first",
    responses=documented(200, "One page of the customer's orders", 400),
    tags=["orders"],
)
def get_customer_orders(
    customer_id: Annotated[CustomerId, Path(alias="customerId")], limit: PageSize = 20, next_token: NextPage = None
) -> CustomerOrderPage:
    return _orders_of(customer_id, limit, next_token)


def _orders_of(customer_id: str, limit: int, next_token: str | None) -> CustomerOrderPage:
    page = list_customer_orders(customer_id, limit, next_token, api_dependencies().repos.orders)
    return CustomerOrderPage(
        items=[
            CustomerOrder(
                order_id=order.order_id, status=order.status, total_cents=order.total_cents, created_at=order.created_at
            )
            for order in page.items
        ],
        next=page.next,
    )
