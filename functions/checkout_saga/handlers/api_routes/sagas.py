"""GET /sagas?status=&limit=&next=: sagas in one status, newest first, served by the byStatus index."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from checkout_saga.api_models import FieldError, PageToken, SagaPage
from checkout_saga.handlers.api_routes.errors import InvalidRequest, documented
from checkout_saga.handlers.dependencies import api_dependencies
from checkout_saga.logic.saga_listing import BadPageToken, list_sagas
from checkout_saga.models import OrderStatus

router = APIGatewayRouter()  # type: ignore[no-untyped-call]


@router.get(
    "/sagas",
    summary="Sagas in a status, newest first",
    responses=documented(200, "One page of sagas", 400),
    tags=["sagas"],
)
def get_sagas(
    status: Annotated[OrderStatus, Query(description="The sagas' current status")],
    limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 20,
    next_token: Annotated[PageToken | None, Query(alias="next", description="`next` of the previous page")] = None,
) -> SagaPage:
    try:
        return list_sagas(status, limit, next_token, api_dependencies().repos.saga_log)
    except BadPageToken as exc:
        raise InvalidRequest(f"invalid next token: {exc}", [FieldError(field="next", message=str(exc))]) from exc
