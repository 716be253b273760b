"""GET /customers/{customerId}/orders (operators) and /customers/me/orders (the signed-in customer): a customer's
orders, newest first, paged, from an index. POST /customers/{customerId}/erase (operators): the customer's id
replaced by a pseudonym everywhere (logic/erasure.py)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from checkout_saga.api_models import CustomerErased, CustomerOrder, CustomerOrderPage
from checkout_saga.clock import utc_now_iso
from checkout_saga.handlers.api_routes.access import signed_in_caller
from checkout_saga.handlers.api_routes.errors import Conflict, NotFound, documented
from checkout_saga.handlers.api_routes.paging import NextPage, PageSize
from checkout_saga.handlers.dependencies import api_dependencies, customer_data
from checkout_saga.logic.customer_orders import list_customer_orders
from checkout_saga.logic.erasure import CustomerBusy, UnknownCustomer, erase_customer
from checkout_saga.models import CustomerId
from checkout_saga.observability import logger

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


@router.post(
    "/customers/<customerId>/erase",
    summary="Replace the customer's id by a pseudonym in every order, return, saga log and idempotency record",
    responses=documented(
        200,
        "The customer is erased (the same answer to every later call)",
        400,
        404,
        conflict="One of the customer's sagas is running: nothing was erased; try again once it has ended",
    ),
    tags=["customers"],
)
def post_erase(customer_id: Annotated[CustomerId, Path(alias="customerId")]) -> CustomerErased:
    try:
        erasure = erase_customer(customer_id, customer_data(), utc_now_iso())
    except UnknownCustomer as exc:
        raise NotFound(str(exc)) from exc
    except CustomerBusy as exc:
        raise Conflict(str(exc)) from exc
    logger.info("customer erased", items_pseudonymised=erasure.pseudonymised)  # the id is not logged: it is erased
    return CustomerErased(customer_id=erasure.customer_id, erased=True)
