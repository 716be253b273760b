"""Finishing the undo of a saga stuck in COMPENSATION_FAILED once its cause is gone, through the API's
POST /sagas/{orderId}/resume: a new execution of the same state machine with {"orderId", "resumeCompensation":
true}. Its Choice state jumps to RefundPayment and every compensation runs again; they are idempotent, so those
that had already run change nothing. This command asks the API, then waits for that execution to end."""

from __future__ import annotations

from dataclasses import dataclass

from checkout_saga.clock import utc_now_iso
from checkout_saga.models import SagaRecord
from local_cloud.stepfunctions.express import is_express_arn
from saga_client.api_client import ApiError, CheckoutApi
from saga_client.express_runs import wait_for_saga
from saga_client.identity import StackIdentities
from saga_client.stack_data import StackData

EXPRESS_UNTRACKED = "EXPRESS (no status: see the order)"


class NotResumable(RuntimeError):
    pass


def _undo_over(saga: SagaRecord, asked_at: str) -> bool:
    """The resumed undo finished (CANCELLED) or failed again (a compensation failure logged since it was asked)."""
    return saga.status.value == "CANCELLED" or (saga.compensation_failure_at or "") > asked_at


@dataclass(frozen=True)
class Resumed:
    order_id: str
    execution_arn: str
    execution_status: str  # FAILED is expected: a finished undo ends in the Fail state CheckoutCancelled
    # (EXPRESS_UNTRACKED for an Express execution, which has no status to read: its saga log tells the outcome)
    order_status: str


def current_status(stack: StackData, order_id: str) -> str | None:
    """The order's status; the saga log's when the saga failed before storing an order; None if unknown."""
    order = stack.orders.get(order_id)
    if order is not None:
        return order.status.value
    saga = stack.saga_log.get(order_id)
    return saga.status.value if saga is not None else None


def resume_compensation(
    stack: StackData, order_id: str, timeout: float = 180.0, operator_token: str | None = None
) -> Resumed:
    """Ask the API to resume, then wait until the execution it started ends. The API refuses (NotResumable)
    unless the order is COMPENSATION_FAILED."""
    asked_at = utc_now_iso()
    try:
        # Resuming is an operator's action. Concurrent callers pass one token: signing the same user in from
        # several threads at once would reset its password under each other.
        operator = operator_token or StackIdentities.of(stack.outputs, stack.endpoint_url).operator()
        execution_arn = str(CheckoutApi(stack.outputs["ApiUrl"], token=operator).resume_saga(order_id)["executionArn"])
    except ApiError as exc:
        if exc.status_code in (404, 409):
            raise NotResumable(exc.message) from exc
        raise
    if is_express_arn(execution_arn):
        wait_for_saga(stack, order_id, lambda saga: _undo_over(saga, asked_at), timeout)
        execution_status = EXPRESS_UNTRACKED
    else:
        execution_status = str(stack.wait(execution_arn, timeout, interval=0.1)["status"])
    return Resumed(order_id, execution_arn, execution_status, current_status(stack, order_id) or "MISSING")
