"""POST /checkout: validate, price from the catalog, start the saga; 202 with the order id."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from checkout_saga.api_models import IDEMPOTENCY_KEY_PATTERN, CheckoutAccepted, CheckoutRequest, FieldError
from checkout_saga.clock import utc_now_iso
from checkout_saga.dal.interfaces import SagaStarter
from checkout_saga.handlers.api_routes.access import Forbidden, signed_in_caller
from checkout_saga.handlers.api_routes.errors import InvalidRequest, documented
from checkout_saga.handlers.api_routes.idempotency import Answer, answer_once, saga_id_of
from checkout_saga.handlers.dependencies import api_dependencies
from checkout_saga.logic.checkout import UnknownSkus, new_order_id, start_checkout
from checkout_saga.models import Coordination, LineItem
from checkout_saga.observability import logger

router = APIGatewayRouter()  # type: ignore[no-untyped-call]

IDEMPOTENCY_KEY = Header(
    alias="Idempotency-Key",
    pattern=IDEMPOTENCY_KEY_PATTERN,
    description="Repeat a checkout safely: the same key with the same body returns the same order.",
)


@router.post(
    "/checkout",
    status_code=202,
    summary="Start a checkout saga",
    responses=documented(202, "The saga has started; follow it at GET /orders/{orderId}", 400, 403, 409),
    tags=["checkout"],
)
def post_checkout(
    request: CheckoutRequest,
    idempotency_key: Annotated[str | None, IDEMPOTENCY_KEY] = None,
) -> CheckoutAccepted:
    caller = signed_in_caller(router.current_event.raw_event)
    if request.customer_id is not None and not caller.may_act_for(request.customer_id):
        raise Forbidden("customerId must be the signed-in user (or left out)")
    # The order's customer is the caller unless an operator names one. Resolved before the idempotency check,
    # so that the same key and items sent by another customer are a different request (409), never their order.
    customer_id = request.customer_id or caller.username
    request = request.model_copy(update={"customer_id": customer_id})
    dependencies = api_dependencies()

    starter: SagaStarter = dependencies.saga_starter
    if request.coordination is Coordination.CHOREOGRAPHY:
        if dependencies.choreography_starter is None:
            raise InvalidRequest(
                "this stack has no choreography", [FieldError(field="coordination", message="not deployed here")]
            )
        starter = dependencies.choreography_starter

    body = request.to_payload(exclude={"payment_token"})  # no record of the key is derived from the token
    key_prefix = f"checkout#{caller.username}"  # each caller's keys are their own
    keyed_order_id = saga_id_of(key_prefix, idempotency_key, body)

    def start() -> Answer:
        started = start_checkout(
            customer_id,
            [LineItem(sku=item.sku, quantity=item.quantity) for item in request.items],
            request.payment_token,
            dependencies.repos.inventory,
            dependencies.repos.saga_log,
            starter,
            utc_now_iso(),
            order_id_factory=(lambda: keyed_order_id) if keyed_order_id else new_order_id,
            seal=dependencies.token_vault.seal,
        )
        logger.info(
            "saga started",
            order_id=started.order_id,
            logged_start=started.logged_start,
            coordination=request.coordination.value,
        )
        accepted = CheckoutAccepted(order_id=started.order_id, status="PENDING", execution_arn=started.execution_arn)
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
    except UnknownSkus as exc:
        unknown = exc.positions.items()
        errors = [FieldError(field=f"items[{i}].sku", message=f"unknown sku {sku!r}") for i, sku in unknown]
        raise InvalidRequest(str(exc), errors) from exc
    return CheckoutAccepted.model_validate(answer)
