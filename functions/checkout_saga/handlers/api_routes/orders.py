"""GET /orders/{orderId}: the order with its payment and its saga's state, history and failure."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from checkout_saga.api_models import OrderView
from checkout_saga.handlers.api_routes.access import signed_in_caller
from checkout_saga.handlers.api_routes.errors import NotFound, documented
from checkout_saga.handlers.api_routes.views import may_have_returns, view_order
from checkout_saga.handlers.dependencies import api_dependencies
from checkout_saga.models import OrderId

router = APIGatewayRouter()  # type: ignore[no-untyped-call]


@router.get(
    "/orders/<orderId>",
    summary="An order, its payment, its saga and its returns",
    responses=documented(200, "The order", 400, 404),
    tags=["orders"],
)
def get_order(order_id: Annotated[OrderId, Path(alias="orderId")]) -> OrderView:
    caller = signed_in_caller(router.current_event.raw_event)
    dependencies = api_dependencies()
    records = dependencies.order_records.read(order_id)
    returns = dependencies.repos.returns.list_for_order(order_id) if may_have_returns(records) else []
    view = view_order(order_id, records, returns, detailed=caller.is_operator)
    if view is None or not caller.may_act_for(view.customer_id):  # someone else's order: as if there were none
        raise NotFound(f"no order {order_id}")
    return view
