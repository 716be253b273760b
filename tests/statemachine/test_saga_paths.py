"""Every path of the checkout saga, through the real state machine: the exact states entered (from the
execution history) and the final data (stock, payment, order, saga log)."""

import json
import uuid
from typing import Any

from checkout_saga.handlers.dependencies import reset_caches
from checkout_saga.models import OrderStatus, PaymentStatus
from tests.support.stack import Stack

FORWARD = ["StartOrResume", "CreateOrder", "ReserveStock", "ChargePayment", "ConfirmOrder", "CheckoutSucceeded"]
UNDO_ALL = ["RefundPayment", "ReleaseStock", "CancelOrder", "CheckoutCancelled"]


def checkout(skus: list[str], token: str = "tok_visa", quantity: int = 2) -> dict[str, Any]:
    return {
        "orderId": f"o-{uuid.uuid4().hex[:12]}",
        "customerId": "c-42",
        "items": [{"sku": sku, "quantity": quantity} for sku in skus],
        "paymentToken": token,
    }


def run(stack: Stack, document: dict[str, Any], name: str | None = None) -> tuple[dict[str, Any], list[str]]:
    arn = stack.start(document, name=name or document.get("orderId"))
    return stack.wait(arn), stack.entered_states(arn)


def saga_states(stack: Stack, order_id: str) -> list[str]:
    return [transition.state.value for transition in stack.saga_log.get(order_id).history]


def test_success_takes_stock_captures_payment_and_confirms(stack, products):
    skus = products(2)
    document = checkout(skus, quantity=3)

    execution, states = run(stack, document)

    assert execution["status"] == "SUCCEEDED"
    assert states == FORWARD
    assert stack.available(*skus) == {skus[0]: 7, skus[1]: 7}
    payment = stack.payments.get(document["orderId"])
    assert (payment.status, payment.amount_cents) == (PaymentStatus.CAPTURED, 6000)
    order = stack.orders.get(document["orderId"])
    assert (order.status, order.total_cents) == (OrderStatus.CONFIRMED, 6000)
    saga = stack.saga_log.get(document["orderId"])
    assert saga.status is OrderStatus.CONFIRMED
    assert saga.failure is None
    assert saga_states(stack, document["orderId"]) == [
        "STARTED",
        "ORDER_CREATED",
        "STOCK_RESERVED",
        "PAYMENT_CHARGED",
        "CONFIRMED",
    ]


def test_create_order_failure_cancels_without_touching_stock_or_money(stack, products):
    skus = products(1)
    document = checkout([*skus, "NO-SUCH-SKU"])

    execution, states = run(stack, document)

    assert execution["status"] == "FAILED"
    assert states == ["StartOrResume", "CreateOrder", "CreateOrderFailed", "CancelOrder", "CheckoutCancelled"]
    assert stack.available(*skus) == {skus[0]: 10}
    assert stack.payments.get(document["orderId"]) is None
    assert stack.orders.get(document["orderId"]).status is OrderStatus.CANCELLED
    saga = stack.saga_log.get(document["orderId"])
    assert (saga.status, saga.failure.step, saga.failure.error) == (
        OrderStatus.CANCELLED,
        "CreateOrder",
        "UnknownProduct",
    )
    assert "NO-SUCH-SKU" in saga.failure.cause


def test_out_of_stock_on_the_second_of_three_items_takes_nothing(stack, products):
    skus = products(3)
    stack.seed([p.model_copy(update={"available": 1}) for p in stack.inventory.get_products([skus[1]]).values()])
    document = checkout(skus, quantity=2)

    execution, states = run(stack, document)

    assert execution["status"] == "FAILED"
    assert states == [
        "StartOrResume",
        "CreateOrder",
        "ReserveStock",
        "ReserveStockFailed",
        "ReleaseStock",
        "CancelOrder",
        "CheckoutCancelled",
    ]
    assert stack.available(*skus) == {skus[0]: 10, skus[1]: 1, skus[2]: 10}
    assert stack.payments.get(document["orderId"]) is None
    assert stack.orders.get(document["orderId"]).status is OrderStatus.CANCELLED
    saga = stack.saga_log.get(document["orderId"])
    assert (saga.failure.step, saga.failure.error) == ("ReserveStock", "OutOfStock")
    assert saga_states(stack, document["orderId"]) == ["STARTED", "ORDER_CREATED", "STOCK_RELEASED", "CANCELLED"]


def test_declined_card_gives_the_stock_back(stack, products):
    skus = products(1)
    document = checkout(skus, token="tok_declined")

    execution, states = run(stack, document)

    assert execution["status"] == "FAILED"
    assert states == ["StartOrResume", "CreateOrder", "ReserveStock", "ChargePayment", "ChargePaymentFailed", *UNDO_ALL]
    assert stack.available(*skus) == {skus[0]: 10}
    assert stack.payments.get(document["orderId"]).status is PaymentStatus.DECLINED
    assert stack.orders.get(document["orderId"]).status is OrderStatus.CANCELLED
    saga = stack.saga_log.get(document["orderId"])
    assert (saga.failure.step, saga.failure.error) == ("ChargePayment", "PaymentDeclined")
    assert saga_states(stack, document["orderId"]) == [
        "STARTED",
        "ORDER_CREATED",
        "STOCK_RESERVED",
        "PAYMENT_REFUNDED",
        "STOCK_RELEASED",
        "CANCELLED",
    ]
    assert stack.failed_task_attempts(execution["executionArn"]) == 1  # a decline is not retried


def test_insufficient_funds_is_a_decline_too(stack, products):
    skus = products(1)
    document = checkout(skus, token="tok_insufficient_funds")

    _execution, states = run(stack, document)

    assert states[-len(UNDO_ALL) - 1 :] == ["ChargePaymentFailed", *UNDO_ALL]
    assert stack.available(*skus) == {skus[0]: 10}
    assert stack.payments.get(document["orderId"]).status is PaymentStatus.DECLINED
    assert stack.orders.get(document["orderId"]).status is OrderStatus.CANCELLED
    saga = stack.saga_log.get(document["orderId"])
    assert (saga.status, saga.failure.error) == (OrderStatus.CANCELLED, "InsufficientFunds")


def test_confirm_failure_refunds_the_payment_and_returns_the_stock(stack, products):
    skus = products(1)
    stack.set_faults({"ConfirmOrder": {"mode": "fail", "rate": 1.0}})
    reset_caches()
    document = checkout(skus)

    _execution, states = run(stack, document)

    assert states == [*FORWARD[:-1], "ConfirmOrderFailed", *UNDO_ALL]
    assert stack.available(*skus) == {skus[0]: 10}
    payment = stack.payments.get(document["orderId"])
    assert (payment.status, payment.amount_cents) == (PaymentStatus.REFUNDED, 2000)
    assert stack.orders.get(document["orderId"]).status is OrderStatus.CANCELLED
    assert stack.saga_log.get(document["orderId"]).failure.error == "InjectedFailure"


def test_a_step_that_keeps_failing_after_its_effect_is_undone_too(stack, products):
    """ReserveStock takes the stock, then fails transiently until its retries run out: ReleaseStock gives it back."""
    skus = products(1)
    stack.set_faults({"ReserveStock": {"mode": "transient", "rate": 1.0}})
    reset_caches()
    document = checkout(skus)

    execution, states = run(stack, document)

    assert states == [
        "StartOrResume",
        "CreateOrder",
        "ReserveStock",
        "ReserveStockFailed",
        "ReleaseStock",
        "CancelOrder",
        "CheckoutCancelled",
    ]
    assert stack.failed_task_attempts(execution["executionArn"]) == 3  # first try + StepMaxAttempts retries
    assert stack.available(*skus) == {skus[0]: 10}
    assert stack.orders.get(document["orderId"]).status is OrderStatus.CANCELLED
    assert stack.payments.get(document["orderId"]) is None
    saga = stack.saga_log.get(document["orderId"])
    assert (saga.status, saga.failure.step, saga.failure.error) == (
        OrderStatus.CANCELLED,
        "ReserveStock",
        "TransientStepError",
    )


def test_flaky_card_is_retried_until_approved(stack, products):
    skus = products(1)
    document = checkout(skus, token="tok_flaky")

    execution, states = run(stack, document)

    assert execution["status"] == "SUCCEEDED"
    assert states == FORWARD
    assert stack.failed_task_attempts(execution["executionArn"]) == 2
    payment = stack.payments.get(document["orderId"])
    assert (payment.status, payment.attempts) == (PaymentStatus.CAPTURED, 3)
    assert stack.available(*skus) == {skus[0]: 8}
    assert stack.orders.get(document["orderId"]).status is OrderStatus.CONFIRMED
    assert stack.saga_log.get(document["orderId"]).status is OrderStatus.CONFIRMED
    assert saga_states(stack, document["orderId"])[-1] == "CONFIRMED"


def test_a_compensation_that_keeps_failing_ends_visible_then_can_be_resumed(stack, products):
    skus = products(1)
    stack.set_faults({"ReleaseStock": {"mode": "fail", "rate": 1.0}})
    reset_caches()
    document = checkout(skus, token="tok_declined")

    execution, states = run(stack, document)

    assert execution["status"] == "FAILED"
    assert states == [
        "StartOrResume",
        "CreateOrder",
        "ReserveStock",
        "ChargePayment",
        "ChargePaymentFailed",
        "RefundPayment",
        "ReleaseStock",
        "ReleaseStockCompensationFailed",
        "MarkCompensationFailed",
        "CompensationFailed",
    ]
    order_id = document["orderId"]
    assert stack.orders.get(order_id).status is OrderStatus.COMPENSATION_FAILED
    assert stack.available(*skus) == {skus[0]: 8}  # still held: visible, listed, never lost
    saga = stack.saga_log.get(order_id)
    assert saga.status is OrderStatus.COMPENSATION_FAILED
    assert (saga.compensation_failure.step, saga.compensation_failure.error) == ("ReleaseStock", "InjectedFailure")

    # The fault is gone: resuming the compensation finishes the undo.
    stack.set_faults({})
    reset_caches()
    _resumed, resumed_states = run(stack, {"orderId": order_id, "resumeCompensation": True}, name=f"{order_id}-resume")

    assert resumed_states == ["StartOrResume", *UNDO_ALL]
    assert stack.available(*skus) == {skus[0]: 10}
    assert stack.orders.get(order_id).status is OrderStatus.CANCELLED
    assert stack.saga_log.get(order_id).status is OrderStatus.CANCELLED


def test_an_input_without_order_id_is_named_after_its_execution(stack, products):
    skus = products(1)
    document = checkout(skus)
    del document["orderId"]

    arn = stack.start(document)
    execution = stack.wait(arn)

    order_id = arn.rsplit(":", 1)[1]
    assert execution["status"] == "SUCCEEDED"
    assert stack.entered_states(arn) == ["StartOrResume", "NameOrderAfterExecution", *FORWARD[1:]]
    assert stack.orders.get(order_id).status is OrderStatus.CONFIRMED
    assert stack.payments.get(order_id).status is PaymentStatus.CAPTURED
    assert stack.available(*skus) == {skus[0]: 8}
    assert stack.saga_log.get(order_id).status is OrderStatus.CONFIRMED


def test_every_compensation_that_keeps_failing_is_caught(stack, products):
    """One saga per compensation: whichever undo keeps failing, the saga ends COMPENSATION_FAILED."""
    still_held = {"RefundPayment": 8, "ReleaseStock": 8, "CancelOrder": 10}  # available once the saga stopped
    expected_tail = {
        "RefundPayment": ["RefundPayment", "RefundPaymentCompensationFailed"],
        "ReleaseStock": ["RefundPayment", "ReleaseStock", "ReleaseStockCompensationFailed"],
        "CancelOrder": ["RefundPayment", "ReleaseStock", "CancelOrder", "CancelOrderCompensationFailed"],
    }
    for compensation, tail in expected_tail.items():
        skus = products(1)
        stack.set_faults({compensation: {"mode": "fail", "rate": 1.0}})
        reset_caches()
        document = checkout(skus, token="tok_declined")

        _execution, states = run(stack, document)

        assert states[4:] == ["ChargePaymentFailed", *tail, "MarkCompensationFailed", "CompensationFailed"], (
            compensation
        )
        saga = stack.saga_log.get(document["orderId"])
        assert (saga.status, saga.compensation_failure.step) == (OrderStatus.COMPENSATION_FAILED, compensation)
        assert stack.orders.get(document["orderId"]).status is OrderStatus.COMPENSATION_FAILED
        assert stack.payments.get(document["orderId"]).status is PaymentStatus.DECLINED
        assert stack.available(*skus) == {skus[0]: still_held[compensation]}, compensation


def test_an_order_id_already_taken_fails_without_touching_that_order(stack, products):
    skus = products(1)
    first = checkout(skus)
    run(stack, first)
    intruder = {**checkout(skus), "orderId": first["orderId"], "customerId": "someone-else"}

    arn = stack.start(intruder, name=f"intruder-{uuid.uuid4().hex[:8]}")
    execution, states = stack.wait(arn), stack.entered_states(arn)

    assert execution["status"] == "FAILED"
    assert states == ["StartOrResume", "CreateOrder", "OrderIdTaken"]
    order = stack.orders.get(first["orderId"])
    assert (order.status, order.customer_id) == (OrderStatus.CONFIRMED, "c-42")
    assert stack.available(*skus) == {skus[0]: 8}
    assert stack.payments.get(first["orderId"]).status is PaymentStatus.CAPTURED
    saga = stack.saga_log.get(first["orderId"])
    assert (saga.status, saga.failure) == (OrderStatus.CONFIRMED, None)


def test_a_confirm_whose_answer_is_lost_is_not_undone(stack, products):
    """ConfirmOrder takes effect, then its answer is lost until the retries run out: the checkout passed its
    pivot, so the first undo (RefundPayment) finds the order CONFIRMED and the saga succeeds, nothing undone."""
    skus = products(1)
    stack.set_faults({"ConfirmOrder": {"mode": "transient", "rate": 1.0}})
    reset_caches()
    document = checkout(skus)

    execution, states = run(stack, document)

    assert execution["status"] == "SUCCEEDED"
    assert states == [*FORWARD[:-1], "ConfirmOrderFailed", "RefundPayment", "CheckoutSucceeded"]
    assert_confirmed_and_kept(stack, document["orderId"], skus)


def test_a_lost_confirm_stays_confirmed_even_when_the_first_undo_keeps_failing(stack, products):
    """Same, but RefundPayment fails before it can look: MarkCompensationFailed looks instead, and the saga
    still succeeds; the CONFIRMED order is never marked COMPENSATION_FAILED (and so never resumed into a refund)."""
    skus = products(1)
    stack.set_faults(
        {"ConfirmOrder": {"mode": "transient", "rate": 1.0}, "RefundPayment": {"mode": "fail", "rate": 1.0}}
    )
    reset_caches()
    document = checkout(skus)

    execution, states = run(stack, document)

    assert execution["status"] == "SUCCEEDED"
    assert states[-5:] == [
        "ConfirmOrderFailed",
        "RefundPayment",
        "RefundPaymentCompensationFailed",
        "MarkCompensationFailed",
        "CheckoutSucceeded",
    ]
    assert_confirmed_and_kept(stack, document["orderId"], skus)


def assert_confirmed_and_kept(stack: Stack, order_id: str, skus: list[str]) -> None:
    assert stack.orders.get(order_id).status is OrderStatus.CONFIRMED
    assert stack.available(*skus) == {skus[0]: 8}
    payment = stack.payments.get(order_id)
    assert (payment.status, payment.amount_cents) == (PaymentStatus.CAPTURED, 2000)
    saga = stack.saga_log.get(order_id)
    assert (saga.status, saga.failure, saga.compensation_failure) == (OrderStatus.CONFIRMED, None, None)
    assert saga_states(stack, order_id) == [
        "STARTED",
        "ORDER_CREATED",
        "STOCK_RESERVED",
        "PAYMENT_CHARGED",
        "CONFIRMED",
    ]


def test_a_cancel_whose_answer_is_lost_ends_cancelled_not_compensation_failed(stack, products):
    """CancelOrder takes effect, then its answer is lost until the retries run out: the undo is complete, so
    MarkCompensationFailed ends the saga CANCELLED; order and saga log agree."""
    skus = products(1)
    stack.set_faults({"CancelOrder": {"mode": "transient", "rate": 1.0}})
    reset_caches()
    document = checkout(skus, token="tok_declined")

    execution, states = run(stack, document)

    assert execution["status"] == "FAILED"
    assert states[-4:] == [
        "CancelOrder",
        "CancelOrderCompensationFailed",
        "MarkCompensationFailed",
        "CheckoutCancelled",
    ]
    assert stack.orders.get(document["orderId"]).status is OrderStatus.CANCELLED
    saga = stack.saga_log.get(document["orderId"])
    assert (saga.status, saga.compensation_failure) == (OrderStatus.CANCELLED, None)
    assert stack.available(*skus) == {skus[0]: 10}
    assert stack.payments.get(document["orderId"]).status is PaymentStatus.DECLINED


def test_a_saga_that_cannot_even_be_marked_ends_in_its_own_fail_state(stack, products):
    """MarkCompensationFailed failing after its retries is never silent: the execution ends in a Fail state of
    its own, not in the raw error of the last attempt."""
    skus = products(1)
    lam, iam = stack.client("lambda"), stack.client("iam")
    function = next(f for f in lam.list_functions()["Functions"] if "MarkCompensationFailed" in f["FunctionName"])
    role = function["Role"].rsplit("/", 1)[1]
    policies = {
        name: iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
    }
    stack.set_faults({"ReleaseStock": {"mode": "fail", "rate": 1.0}})
    reset_caches()
    for name in policies:  # the role may do nothing: every attempt to mark the order is denied
        iam.delete_role_policy(RoleName=role, PolicyName=name)
    try:
        execution, states = run(stack, checkout(skus, token="tok_declined"))
    finally:
        for name, document in policies.items():
            iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(document))

    assert execution["status"] == "FAILED"
    assert execution["error"] == "CompensationFailureNotRecorded"
    assert states[-3:] == ["ReleaseStockCompensationFailed", "MarkCompensationFailed", "CompensationFailureNotRecorded"]
    assert stack.failed_task_attempts(execution["executionArn"]) >= 2 + 2  # ReleaseStock's and Mark's attempts
