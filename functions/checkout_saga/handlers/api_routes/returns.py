"""POST /orders/{orderId}/returns: start a return saga (202); GET /returns/{returnId}: the return and its saga."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from checkout_saga.api_models import ReturnAccepted, ReturnRequest, ReturnView
from checkout_saga.clock import utc_now_iso
from checkout_saga.errors import UnknownOrder
from checkout_saga.handlers.api_routes.access import signed_in_caller
from checkout_saga.handlers.api_routes.checkout import IDEMPOTENCY_KEY
from checkout_saga.handlers.api_routes.errors import NotFound, documented
from checkout_saga.handlers.api_routes.idempotency import Answer, answer_once, saga_id_of
from checkout_saga.handlers.api_routes.views import view_return
from checkout_saga.handlers.dependencies import api_dependencies
from checkout_saga.logic.return_start import new_return_id, start_return
from checkout_saga.models import LineItem, OrderId
from checkout_saga.observability import logger

router = APIGatewayRouter()  # type: ignore[no-untyped-call]


@router.post(
    "/orders/<orderId>/returns",
    status_code=202,
    summary="Start a return saga for some units of an order",
    responses=documented(202, "The return saga has started; follow it at GET /returns/{returnId}", 400, 404, 409),
    tags=["returns"],
)
def post_return(
    order_id: Annotated[OrderId, Path(alias="orderId")],
    request: ReturnRequest,
    idempotency_key: Annotated[str | None, IDEMPOTENCY_KEY] = None,
) -> ReturnAccepted:
    dependencies = api_dependencies()
    repos = dependencies.repos
    caller = signed_in_caller(router.current_event.raw_event)
    order = repos.orders.get(order_id)
    if order is None or not caller.may_act_for(order.customer_id):
        raise NotFound(f"no order {order_id}")  # someone else's order: as if there were none

    body = {"orderId": order_id, **request.to_payload()}  # the same key on another order is another body
    key_prefix = f"return#{caller.username}"  # each caller's keys are their own
    keyed = saga_id_of(key_prefix, idempotency_key, body)

    def start() -> Answer:
        started = start_return(
            order_id,
            [LineItem(sku=item.sku, quantity=item.quantity) for item in request.items],
            request.reason,
            repos.orders,
            repos.returns,
            repos.return_saga_log,
            dependencies.return_starter,
            utc_now_iso(),
            return_id_factory=(lambda: f"ret-{keyed}") if keyed else new_return_id,
        )
        logger.info("return saga started", return_id=started.return_id, order_id=order_id)
        accepted = ReturnAccepted(
            return_id=started.return_id, order_id=order_id, status="PENDING", execution_arn=started.execution_arn
        )
        return accepted.to_payload()

    try:
        answer = answer_once(
            dependencies.idempotency_store,
            idempotency_key,
            body,
            start,
            router.lambda_context,
            key_prefix=key_prefix,
        )
    except UnknownOrder as exc:
        raise NotFound(f"no order {order_id}") from exc
    return ReturnAccepted.model_validate(answer)


@router.get(
    "/returns/<returnId>",
    summary="A return, its refund and its saga",
    responses=documented(200, "The return (a customer sees their own only)", 400, 404),
    tags=["returns"],
)
def get_return(return_id: Annotated[OrderId, Path(alias="returnId")]) -> ReturnView:
    dependencies = api_dependencies()
    caller = signed_in_caller(router.current_event.raw_event)
    view = view_return(return_id, dependencies.return_records.read(return_id), detailed=caller.is_operator)
    order = dependencies.repos.orders.get(view.order_id) if view is not None else None
    if view is None or order is None or not caller.may_act_for(order.customer_id):
        raise NotFound(f"no return {return_id}")  # someone else's return: as if there were none
    return view
