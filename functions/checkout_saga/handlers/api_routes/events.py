"""GET /sagas/{orderId}/events: a saga's history (a checkout's, or a return's by its returnId), for operators and
the saga's own customer; GET /customers/{customerId}/summary (operators) and /customers/me/summary (the signed-in
customer): the customers' read model, kept from the events (docs/events.md)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from checkout_saga.api_models import CustomerSummaryView, SagaEventHistory, SagaEventView
from checkout_saga.handlers.api_routes.access import signed_in_caller
from checkout_saga.handlers.api_routes.errors import NotFound, documented
from checkout_saga.handlers.dependencies import api_dependencies, read_model
from checkout_saga.logic.customer_summary import summarize
from checkout_saga.logic.saga_history import find_history
from checkout_saga.models import CustomerId, OrderId

router = APIGatewayRouter()  # type: ignore[no-untyped-call]


@router.get(
    "/sagas/<orderId>/events",
    summary="A saga's events in order (a checkout's by its orderId, a return's by its returnId)",
    responses=documented(200, "The saga's history", 400, 404),
    tags=["sagas"],
)
def get_saga_events(order_id: Annotated[OrderId, Path(alias="orderId")]) -> SagaEventHistory:
    caller = signed_in_caller(router.current_event.raw_event)
    repos = api_dependencies().repos
    found = find_history(order_id, repos.saga_log, repos.return_saga_log, repos.orders, repos.returns)
    if found is None or not caller.may_act_for(found[0].customer_id or ""):  # someone else's: as if none
        raise NotFound(f"no saga {order_id}")
    return SagaEventHistory(
        order_id=order_id, events=[SagaEventView.model_validate(event.to_payload()) for event in found[1]]
    )


@router.get(
    "/customers/me/summary",
    summary="The signed-in customer's summary, kept from the sagas' events (eventually consistent)",
    responses=documented(200, "The caller's summary", 400),
    tags=["orders"],
)
def get_my_summary() -> CustomerSummaryView:
    return _summary_of(signed_in_caller(router.current_event.raw_event).username)


@router.get(
    "/customers/<customerId>/summary",
    summary="A customer's summary, kept from the sagas' events (eventually consistent)",
    responses=documented(200, "The customer's summary", 400),
    tags=["orders"],
)
def get_customer_summary(customer_id: Annotated[CustomerId, Path(alias="customerId")]) -> CustomerSummaryView:
    return _summary_of(customer_id)


def _summary_of(customer_id: str) -> CustomerSummaryView:
    summary = summarize(customer_id, read_model().projections_of(customer_id))
    return CustomerSummaryView.model_validate(summary.to_payload())
