"""Forced compensation and resume, against the real state machine and handlers: a running saga is stopped and
undone in reverse from where it was; a compensation racing a ConfirmOrder in flight ends all one way or all the
other, never in between."""

import concurrent.futures
import json
import threading
import time
import uuid
from typing import Any

import pytest

from checkout_saga.clock import utc_now_iso
from checkout_saga.dal.stepfunctions_starter import StepFunctionsSagaStarter
from checkout_saga.errors import UnknownOrder
from checkout_saga.handlers.dependencies import reset_caches
from checkout_saga.logic.saga_operations import NotAllowedNow, force_compensation, resume
from checkout_saga.models import OrderStatus, PaymentStatus
from tests.statemachine.test_saga_paths import UNDO_ALL, checkout, run
from tests.support.stack import Stack


def controller(stack: Stack) -> StepFunctionsSagaStarter:
    return StepFunctionsSagaStarter(stack.client("stepfunctions"), stack.outputs["CheckoutStateMachineArn"])


def compensate(stack: Stack, order_id: str, reason: str = "customer called") -> str:
    started = force_compensation(order_id, reason, stack.orders, stack.saga_log, controller(stack), utc_now_iso())
    return started.execution_arn


def invoke(stack: Stack, function: str, document: dict[str, Any]) -> dict[str, Any]:
    response = stack.client("lambda").invoke(FunctionName=f"paths-{function}", Payload=json.dumps(document))
    return dict(json.loads(response["Payload"].read()))


def charged(stack: Stack, skus: list[str]) -> dict[str, Any]:
    """A saga stopped just before ConfirmOrder: order PENDING, stock reserved, payment captured."""
    context = invoke(stack, "CreateOrderFunction", checkout(skus))
    for function in ("ReserveStockFunction", "ChargePaymentFunction"):
        context = invoke(stack, function, context)
    return context


def test_a_running_saga_is_stopped_and_undone_from_where_it_was(stack, products):
    skus = products(1)
    document = checkout(skus, token="tok_flaky")  # ChargePayment fails twice: the saga waits in its retries
    arn = stack.start(document, name=document["orderId"])
    deadline = time.monotonic() + 20
    while stack.payments.get(document["orderId"]) is None:
        assert time.monotonic() < deadline
        time.sleep(0.02)

    undo = compensate(stack, document["orderId"], reason="fraud suspected")

    assert stack.wait(undo)["status"] == "FAILED"  # a finished undo ends in CheckoutCancelled
    assert stack.entered_states(undo) == ["StartOrResume", *UNDO_ALL]
    assert stack.wait(arn)["status"] in ("ABORTED", "FAILED")
    order_id = document["orderId"]
    assert stack.orders.get(order_id).status is OrderStatus.CANCELLED
    assert stack.available(*skus) == {skus[0]: 10}
    assert stack.payments.get(order_id).status in (PaymentStatus.VOIDED, PaymentStatus.REFUNDED)
    saga = stack.saga_log.get(order_id)
    assert saga.status is OrderStatus.CANCELLED
    assert (saga.failure.step, saga.failure.error, saga.failure.cause) == (
        "ChargePayment",
        "ForcedCompensation",
        "fraud suspected",
    )
    with pytest.raises(NotAllowedNow, match="has ended"):
        compensate(stack, order_id)


def test_a_confirmed_order_cannot_be_compensated(stack, products):
    skus = products(1)
    document = checkout(skus)
    run(stack, document)

    with pytest.raises(NotAllowedNow, match="CONFIRMED"):
        compensate(stack, document["orderId"])

    assert stack.orders.get(document["orderId"]).status is OrderStatus.CONFIRMED
    assert stack.available(*skus) == {skus[0]: 8}
    assert stack.saga_log.get(document["orderId"]).failure is None


# (delay of ConfirmOrder, delay of the compensation) after both are released at once; AFTER: once the other has
# returned. The first and last rounds decide the winner on purpose (so both outcomes are checked every run, however
# slow a loaded machine is), the others race for real.
AFTER = -1.0
RACE_ROUNDS = [(0.0, AFTER), (0.0, 0.0), (0.001, 0.0), (0.003, 0.0), (0.006, 0.0), (0.0, 0.003), (AFTER, 0.0)]


def wait_turn(delay: float, other_done: threading.Event) -> None:
    if delay == AFTER:
        assert other_done.wait(60)
    else:
        time.sleep(delay)


def test_compensation_racing_a_confirm_in_flight_is_all_or_nothing(stack, products):
    outcomes = []
    for confirm_delay, compensate_delay in RACE_ROUNDS:
        skus = products(1)
        context = charged(stack, skus)
        order_id = context["orderId"]
        barrier = threading.Barrier(2)
        confirm_done, force_done = threading.Event(), threading.Event()

        def confirm(
            context: dict[str, Any] = context,
            barrier: threading.Barrier = barrier,
            delay: float = confirm_delay,
            done: threading.Event = confirm_done,
            other_done: threading.Event = force_done,
        ) -> dict[str, Any]:
            barrier.wait()
            wait_turn(delay, other_done)
            try:
                return invoke(stack, "ConfirmOrderFunction", context)
            finally:
                done.set()

        def force(
            order_id: str = order_id,
            barrier: threading.Barrier = barrier,
            delay: float = compensate_delay,
            done: threading.Event = force_done,
            other_done: threading.Event = confirm_done,
        ) -> str | None:
            orders, saga_log, ctl = stack.orders, stack.saga_log, controller(stack)  # built before the race starts
            barrier.wait()
            wait_turn(delay, other_done)
            try:
                return force_compensation(
                    order_id, "customer called", orders, saga_log, ctl, utc_now_iso()
                ).execution_arn
            except NotAllowedNow:
                return None
            finally:
                done.set()

        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            confirmed, undo = pool.submit(confirm), pool.submit(force)
            confirm_answer, undo_arn = confirmed.result(), undo.result()
        if undo_arn is not None:
            stack.wait(undo_arn)

        order = stack.orders.get(order_id)
        payment = stack.payments.get(order_id)
        saga = stack.saga_log.get(order_id)
        if order.status is OrderStatus.CONFIRMED:  # the confirmation came first: nothing undone
            assert undo_arn is None
            assert stack.available(*skus) == {skus[0]: 8}
            assert payment.status is PaymentStatus.CAPTURED
            assert (saga.status, saga.failure) == (OrderStatus.CONFIRMED, None)
        else:  # the fence came first: the late ConfirmOrder was refused, everything undone
            assert confirm_answer["errorType"] == "SagaAlreadyCompensated"
            assert order.status is OrderStatus.CANCELLED
            assert stack.available(*skus) == {skus[0]: 10}
            assert payment.status is PaymentStatus.REFUNDED
            assert (saga.status, saga.failure.error) == (OrderStatus.CANCELLED, "ForcedCompensation")
        outcomes.append(order.status)
    assert (outcomes[0], outcomes[-1]) == (OrderStatus.CONFIRMED, OrderStatus.CANCELLED)
    assert set(outcomes) == {OrderStatus.CONFIRMED, OrderStatus.CANCELLED}


def test_resume_runs_the_undo_again_and_refuses_other_sagas(stack, products):
    skus = products(1)
    stack.set_faults({"ReleaseStock": {"mode": "fail", "rate": 1.0}})
    reset_caches()
    document = checkout(skus, token="tok_declined")
    run(stack, document)
    order_id = document["orderId"]
    assert stack.orders.get(order_id).status is OrderStatus.COMPENSATION_FAILED
    stack.set_faults({})
    reset_caches()

    started = resume(order_id, stack.orders, stack.saga_log, controller(stack))

    assert stack.wait(started.execution_arn)["status"] == "FAILED"
    assert stack.entered_states(started.execution_arn) == ["StartOrResume", *UNDO_ALL]
    assert stack.orders.get(order_id).status is OrderStatus.CANCELLED
    assert stack.available(*skus) == {skus[0]: 10}
    with pytest.raises(NotAllowedNow, match="only a COMPENSATION_FAILED saga can be resumed"):
        resume(order_id, stack.orders, stack.saga_log, controller(stack))
    other = f"o-{uuid.uuid4().hex[:8]}"
    with pytest.raises(UnknownOrder, match=f"no order {other}"):
        resume(other, stack.orders, stack.saga_log, controller(stack))


def test_an_undo_given_up_ends_cancelled_only_through_the_resume(stack, products):
    """CreateOrder fails (no such product), then CancelOrder keeps failing: MarkCompensationFailed keeps its mark
    on an order record of its own. A CancelOrder delivered late (an invocation the state machine stopped waiting
    for) changes nothing; the resume cancels."""
    skus = products(1)
    stack.set_faults({"CancelOrder": {"mode": "fail", "rate": 1.0}})
    reset_caches()
    document = checkout([*skus, "NO-SUCH-SKU"])
    _execution, states = run(stack, document)
    order_id = document["orderId"]
    assert states[-2:] == ["MarkCompensationFailed", "CompensationFailed"]
    order = stack.orders.get(order_id)
    assert (order.status, order.customer_id) == (OrderStatus.COMPENSATION_FAILED, "c-42")
    stack.set_faults({})
    reset_caches()

    late = invoke(stack, "CancelOrderFunction", document)

    assert late["errorType"] == "SagaGivenUp"
    assert stack.orders.get(order_id).status is OrderStatus.COMPENSATION_FAILED
    assert stack.saga_log.get(order_id).status is OrderStatus.COMPENSATION_FAILED
    started = resume(order_id, stack.orders, stack.saga_log, controller(stack))
    assert stack.wait(started.execution_arn)["status"] == "FAILED"
    assert stack.orders.get(order_id).status is OrderStatus.CANCELLED
    saga = stack.saga_log.get(order_id)
    assert saga.status is OrderStatus.CANCELLED
    logged = [transition.state.value for transition in saga.history]
    assert logged[-1] == "CANCELLED"
    assert logged.index("COMPENSATION_FAILED") < logged.index("CANCELLED")  # the resume's, not the late cancel's
    assert stack.available(*skus) == {skus[0]: 10}
