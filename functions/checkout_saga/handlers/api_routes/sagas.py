"""GET /sagas?kind=&status=&limit=&next=: checkouts or returns in one status, newest first, served by each saga
log's byStatus index; POST /sagas/{orderId}/resume and /compensate, POST /returns/{returnId}/resume: the
operator's actions on one saga."""

from collections.abc import Callable
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from checkout_saga.api_models import (
    AnySagaStatus,
    CompensateRequest,
    FieldError,
    ReturnUndoAccepted,
    SagaKindName,
    SagaPage,
    SagaSummary,
    UndoAccepted,
)
from checkout_saga.clock import utc_now_iso
from checkout_saga.errors import UnknownOrder
from checkout_saga.handlers.api_routes.errors import Conflict, InvalidRequest, NotFound, documented
from checkout_saga.handlers.api_routes.paging import NextPage, PageSize
from checkout_saga.handlers.dependencies import api_dependencies
from checkout_saga.logic.saga_listing import list_sagas
from checkout_saga.logic.saga_operations import NotAllowedNow, UndoStarted, force_compensation, resume, resume_return
from checkout_saga.models import OrderId, OrderStatus, ReturnStatus, SagaStatus
from checkout_saga.observability import logger

router = APIGatewayRouter()  # type: ignore[no-untyped-call]

# What a 409 of an operator action means.
NOT_NOW = "The saga is not in a state this action applies to (the message says which)"


@router.get(
    "/sagas",
    summary="Sagas in a status, newest first",
    responses=documented(200, "One page of sagas", 400),
    tags=["sagas"],
)
def get_sagas(
    status: Annotated[AnySagaStatus, Query(description="The sagas' current status (one their kind has)")],
    kind: Annotated[SagaKindName, Query(description="checkout (the default) or return")] = SagaKindName.CHECKOUT,
    limit: PageSize = 20,
    next_token: NextPage = None,
) -> SagaPage:
    repos = api_dependencies().repos
    saga_log = repos.return_saga_log if kind is SagaKindName.RETURN else repos.saga_log
    page = list_sagas(_status_of(kind, status), limit, next_token, saga_log)
    return SagaPage(
        items=[
            SagaSummary(
                saga_id=record.saga_id,
                status=record.status,
                state=record.state,
                started_at=record.started_at,
                updated_at=record.updated_at,
            )
            for record in page.items
        ],
        next=page.next,
    )


def _status_of(kind: SagaKindName, status: AnySagaStatus) -> SagaStatus:
    statuses = ReturnStatus if kind is SagaKindName.RETURN else OrderStatus
    try:
        return statuses(status.value)
    except ValueError:
        allowed = ", ".join(statuses)
        message = f"a {kind.value} saga is never {status.value}; its statuses: {allowed}"
        raise InvalidRequest(message, [FieldError(field="status", message=message)]) from None


OrderIdPath = Annotated[OrderId, Path(alias="orderId")]


@router.post(
    "/sagas/<orderId>/resume",
    status_code=202,
    summary="Run the undo of a COMPENSATION_FAILED saga again",
    responses=documented(
        202,
        "The undo runs again in a new execution",
        400,
        404,
        conflict=NOT_NOW,
    ),
    tags=["sagas"],
)
def post_resume(order_id: OrderIdPath) -> UndoAccepted:
    repos = api_dependencies().repos
    return _accepted(lambda: resume(order_id, repos.orders, repos.saga_log, api_dependencies().saga_starter))


@router.post(
    "/sagas/<orderId>/compensate",
    status_code=202,
    summary="Stop a running saga and undo it in reverse from where it is",
    responses=documented(
        202,
        "The saga is stopped and its undo runs in a new execution",
        400,
        404,
        conflict=NOT_NOW,
    ),
    tags=["sagas"],
)
def post_compensate(order_id: OrderIdPath, request: CompensateRequest | None = None) -> UndoAccepted:
    dependencies = api_dependencies()
    reason = request.reason if request is not None else ""
    repos = dependencies.repos
    return _accepted(
        lambda: force_compensation(
            order_id, reason, repos.orders, repos.saga_log, dependencies.saga_starter, utc_now_iso()
        )
    )


@router.post(
    "/returns/<returnId>/resume",
    status_code=202,
    summary="Run the undo of a COMPENSATION_FAILED return saga again",
    responses=documented(
        202,
        "The undo runs again in a new execution",
        400,
        404,
        conflict=NOT_NOW,
    ),
    tags=["returns"],
)
def post_return_resume(return_id: Annotated[OrderId, Path(alias="returnId")]) -> ReturnUndoAccepted:
    dependencies = api_dependencies()
    repos = dependencies.repos
    started = _started(
        lambda: resume_return(return_id, repos.returns, repos.return_saga_log, dependencies.return_starter)
    )
    return ReturnUndoAccepted(return_id=started.saga_id, execution_arn=started.execution_arn)


def _accepted(run: Callable[[], UndoStarted]) -> UndoAccepted:
    started = _started(run)
    return UndoAccepted(order_id=started.saga_id, execution_arn=started.execution_arn)


def _started(run: Callable[[], UndoStarted]) -> UndoStarted:
    try:
        started = run()
    except UnknownOrder as exc:
        raise NotFound(str(exc)) from exc
    except NotAllowedNow as exc:
        raise Conflict(str(exc)) from exc
    logger.info("undo started", saga_id=started.saga_id, execution_arn=started.execution_arn)
    return started
