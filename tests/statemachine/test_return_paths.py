"""Every path of the return saga, through the real return state machine: the exact states entered (from the
execution history) and the final data (order, stock, payment, return record, saga log)."""

import concurrent.futures
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from checkout_saga.clock import iso
from checkout_saga.handlers.dependencies import reset_caches
from checkout_saga.models import Order, OrderStatus, PaymentStatus, PricedItem, ReturnStatus
from saga_client.histories import scheduled
from saga_client.stack_data import RETURN
from tests.statemachine.test_saga_paths import checkout, run
from tests.support.stack import Stack

FORWARD = ["StartOrResume", "ValidateReturn", "RefundReturn", "RestockReturn", "CompleteReturn", "ReturnSucceeded"]
UNDO_ALL = ["UnstockReturn", "VoidReturnRefund", "CancelReturn", "ReturnCancelled"]
FORWARD_LOG = ["STARTED", "RETURN_VALIDATED", "RETURN_REFUNDED", "RETURN_RESTOCKED", "COMPLETED"]


def bought(stack: Stack, skus: list[str], quantity: int = 3) -> str:
    """A CONFIRMED order of `quantity` units of each sku, through the checkout saga; its id."""
    document = checkout(skus, quantity=quantity)
    execution, _ = run(stack, document)
    assert execution["status"] == "SUCCEEDED"
    return str(document["orderId"])


def a_return(order_id: str, items: dict[str, int], reason: str = "does not fit") -> dict[str, Any]:
    return {
        "returnId": f"r-{uuid.uuid4().hex[:12]}",
        "orderId": order_id,
        "items": [{"sku": sku, "quantity": quantity} for sku, quantity in items.items()],
        "reason": reason,
    }


def run_return(stack: Stack, document: dict[str, Any], name: str | None = None) -> tuple[dict[str, Any], list[str]]:
    arn = stack.start(document, name=name or document.get("returnId"), machine=RETURN)
    return stack.wait(arn), stack.entered_states(arn)


def log_states(stack: Stack, return_id: str) -> list[str]:
    return [transition.state.value for transition in stack.return_saga_log.get(return_id).history]


def faults(stack: Stack, plan: dict[str, Any]) -> None:
    stack.set_faults(plan)
    reset_caches()


def assert_nothing_returned(stack: Stack, order_id: str, skus: list[str], available: int = 7) -> None:
    """The order as the checkout left it: every unit still sold, the capture whole, nothing claimed."""
    assert stack.available(*skus) == dict.fromkeys(skus, available)
    payment = stack.payments.get(order_id)
    assert (payment.status, payment.refunded_cents) == (PaymentStatus.CAPTURED, 0)
    order = stack.orders.get(order_id)
    assert order.status is OrderStatus.CONFIRMED
    assert all(units == 0 for units in order.returned_units.values())


def test_a_return_refunds_restocks_and_completes(stack, products):
    skus = products(2)
    order_id = bought(stack, skus)  # 3 units of each at 10.00: 7 left of each
    document = a_return(order_id, {skus[0]: 2})

    execution, states = run_return(stack, document)

    assert execution["status"] == "SUCCEEDED"
    assert states == FORWARD
    assert stack.available(*skus) == {skus[0]: 9, skus[1]: 7}
    payment = stack.payments.get(order_id)
    assert (payment.status, payment.amount_cents, payment.refunded_cents) == (PaymentStatus.CAPTURED, 6000, 2000)
    assert payment.refunded_returns == {document["returnId"]}
    order = stack.orders.get(order_id)
    assert (order.status, order.returned_units) == (OrderStatus.CONFIRMED, {skus[0]: 2})
    record = stack.returns.get(document["returnId"])
    assert (record.status, record.refund_cents, record.reason) == (ReturnStatus.COMPLETED, 2000, "does not fit")
    assert [(item.sku, item.quantity, item.unit_price_cents) for item in record.items] == [(skus[0], 2, 1000)]
    saga = stack.return_saga_log.get(document["returnId"])
    assert (saga.status, saga.failure) == (ReturnStatus.COMPLETED, None)
    assert log_states(stack, document["returnId"]) == FORWARD_LOG


def test_returns_add_up_to_what_was_bought_and_no_further(stack, products):
    skus = products(1)
    order_id = bought(stack, skus)
    first, second, third = (a_return(order_id, {skus[0]: units}) for units in (1, 2, 1))

    assert run_return(stack, first)[0]["status"] == "SUCCEEDED"
    assert run_return(stack, second)[0]["status"] == "SUCCEEDED"
    execution, states = run_return(stack, third)

    assert execution["status"] == "FAILED"
    assert states == ["StartOrResume", "ValidateReturn", "ReturnRejected"]
    assert stack.available(*skus) == {skus[0]: 10}  # all 3 back, not 4
    payment = stack.payments.get(order_id)
    assert (payment.refunded_cents, payment.amount_cents) == (3000, 3000)
    assert stack.orders.get(order_id).returned_units == {skus[0]: 3}
    rejected = stack.returns.get(third["returnId"])
    assert (rejected.status, rejected.refund_cents, rejected.validated_at) == (ReturnStatus.REJECTED, 0, None)
    saga = stack.return_saga_log.get(third["returnId"])
    assert (saga.status, saga.failure.step, saga.failure.error) == (
        ReturnStatus.REJECTED,
        "ValidateReturn",
        "ReturnNotAllowed",
    )
    assert "only 0 of 3" in saga.failure.cause
    assert log_states(stack, third["returnId"]) == ["STARTED", "REJECTED"]


def test_each_rule_of_validation_rejects_with_nothing_refunded_or_restocked(stack, products):
    skus = products(2)
    confirmed = bought(stack, skus[:1])
    cancelled = checkout(skus[1:], token="tok_declined")
    run(stack, cancelled)
    old = f"o-{uuid.uuid4().hex[:12]}"
    long_ago = iso(datetime.now(UTC) - timedelta(days=31))
    stack.orders.create(
        Order(
            order_id=old,
            customer_id="c-42",
            status=OrderStatus.CONFIRMED,
            items=[PricedItem(sku=skus[1], quantity=1, unit_price_cents=1000)],
            total_cents=1000,
            created_at=long_ago,
            updated_at=long_ago,
        )
    )
    cases = {
        "more units than bought": (a_return(confirmed, {skus[0]: 4}), "4 returned, only 3 of 3"),
        "an item not bought": (a_return(confirmed, {skus[1]: 1}), f"{skus[1]} was not bought"),
        "an order not CONFIRMED": (a_return(cancelled["orderId"], {skus[1]: 2}), "is CANCELLED"),
        "an order too old": (a_return(old, {skus[1]: 1}), "more than 30 days ago"),
        "an unknown order": (a_return("o-no-such-order", {skus[0]: 1}), "no such order"),
    }
    for case, (document, why) in cases.items():
        execution, states = run_return(stack, document)

        assert states == ["StartOrResume", "ValidateReturn", "ReturnRejected"], case
        assert execution["status"] == "FAILED", case
        record = stack.returns.get(document["returnId"])
        assert (record.status, record.refund_cents) == (ReturnStatus.REJECTED, 0), case
        saga = stack.return_saga_log.get(document["returnId"])
        assert saga.status == ReturnStatus.REJECTED, case
        assert why in saga.failure.cause, (case, saga.failure.cause)
    assert_nothing_returned(stack, confirmed, skus[:1])
    assert stack.available(skus[1]) == {skus[1]: 10}
    assert stack.orders.get(old).returned_units == {}


def test_a_failed_refund_gives_the_claim_back_and_voids_the_refund(stack, products):
    skus = products(1)
    order_id = bought(stack, skus)
    faults(stack, {"RefundReturn": {"mode": "fail", "rate": 1.0}})
    document = a_return(order_id, {skus[0]: 2})

    execution, states = run_return(stack, document)

    assert execution["status"] == "FAILED"
    assert states == [*FORWARD[:3], "RefundReturnFailed", "VoidReturnRefund", "CancelReturn", "ReturnCancelled"]
    assert_nothing_returned(stack, order_id, skus)
    assert stack.payments.get(order_id).voided_returns == {document["returnId"]}
    assert stack.orders.get(order_id).returned_units == {skus[0]: 0}
    assert stack.returns.get(document["returnId"]).status is ReturnStatus.CANCELLED
    saga = stack.return_saga_log.get(document["returnId"])
    assert (saga.status, saga.failure.step, saga.failure.error) == (
        ReturnStatus.CANCELLED,
        "RefundReturn",
        "InjectedFailure",
    )
    assert log_states(stack, document["returnId"]) == ["STARTED", "RETURN_VALIDATED", "REFUND_VOIDED", "CANCELLED"]

    # The claim was given back: the same units can be returned again.
    faults(stack, {})
    assert run_return(stack, a_return(order_id, {skus[0]: 3}))[0]["status"] == "SUCCEEDED"
    assert stack.available(*skus) == {skus[0]: 10}


def test_a_restock_that_keeps_failing_after_its_effect_is_undone_in_reverse(stack, products):
    skus = products(1)
    order_id = bought(stack, skus)
    faults(stack, {"RestockReturn": {"mode": "transient", "rate": 1.0}})
    document = a_return(order_id, {skus[0]: 1})

    execution, states = run_return(stack, document)

    assert states == [*FORWARD[:4], "RestockReturnFailed", *UNDO_ALL]
    assert stack.failed_task_attempts(execution["executionArn"]) == 3  # first try + StepMaxAttempts retries
    assert_nothing_returned(stack, order_id, skus)
    saga = stack.return_saga_log.get(document["returnId"])
    assert (saga.status, saga.failure.step, saga.failure.error) == (
        ReturnStatus.CANCELLED,
        "RestockReturn",
        "TransientStepError",
    )
    assert log_states(stack, document["returnId"]) == [
        "STARTED",
        "RETURN_VALIDATED",
        "RETURN_REFUNDED",
        "RETURN_RESTOCKED",
        "RETURN_UNSTOCKED",
        "REFUND_VOIDED",
        "CANCELLED",
    ]


def test_a_product_withdrawn_since_the_purchase_cancels_the_return_naming_it(stack, products):
    skus = products(2)
    order_id = bought(stack, skus)
    stack.withdraw_product(skus[1])
    document = a_return(order_id, {skus[0]: 1, skus[1]: 1})

    execution, states = run_return(stack, document)

    assert states == [*FORWARD[:4], "RestockReturnFailed", *UNDO_ALL]
    assert stack.failed_task_attempts(execution["executionArn"]) == 1  # not retried: it cannot succeed
    assert stack.available(skus[0]) == {skus[0]: 7}  # nothing restocked, not even the product still sold
    payment = stack.payments.get(order_id)
    assert (payment.status, payment.refunded_cents) == (PaymentStatus.CAPTURED, 0)
    saga = stack.return_saga_log.get(document["returnId"])
    assert (saga.status, saga.failure.step, saga.failure.error) == (
        ReturnStatus.CANCELLED,
        "RestockReturn",
        "UnknownProduct",
    )
    assert saga.failure.cause == f"unknown sku: {skus[1]}"


def test_a_failed_completion_undoes_restock_and_refund(stack, products):
    skus = products(1)
    order_id = bought(stack, skus)
    faults(stack, {"CompleteReturn": {"mode": "fail", "rate": 1.0}})
    document = a_return(order_id, {skus[0]: 3})

    execution, states = run_return(stack, document)

    assert execution["status"] == "FAILED"
    assert states == [*FORWARD[:5], "CompleteReturnFailed", *UNDO_ALL]
    assert_nothing_returned(stack, order_id, skus)
    record = stack.returns.get(document["returnId"])
    assert (record.status, record.fenced_at is not None) == (ReturnStatus.CANCELLED, True)
    assert stack.return_saga_log.get(document["returnId"]).failure.step == "CompleteReturn"


def test_a_completion_whose_answer_is_lost_is_not_undone(stack, products):
    """CompleteReturn takes effect, then its answer is lost until its retries run out: the return passed its
    pivot, so the first undo (UnstockReturn) finds it COMPLETED and the saga succeeds, nothing undone."""
    skus = products(1)
    order_id = bought(stack, skus)
    faults(stack, {"CompleteReturn": {"mode": "transient", "rate": 1.0}})
    document = a_return(order_id, {skus[0]: 1})

    execution, states = run_return(stack, document)

    assert execution["status"] == "SUCCEEDED"
    assert states == [*FORWARD[:5], "CompleteReturnFailed", "UnstockReturn", "ReturnSucceeded"]
    assert stack.available(*skus) == {skus[0]: 8}
    assert stack.payments.get(order_id).refunded_cents == 1000
    assert stack.returns.get(document["returnId"]).status is ReturnStatus.COMPLETED
    saga = stack.return_saga_log.get(document["returnId"])
    assert (saga.status, saga.failure, saga.compensation_failure) == (ReturnStatus.COMPLETED, None, None)
    assert log_states(stack, document["returnId"]) == FORWARD_LOG


def test_a_failed_validation_cancels_with_nothing_claimed(stack, products):
    skus = products(1)
    order_id = bought(stack, skus)
    faults(stack, {"ValidateReturn": {"mode": "fail", "rate": 1.0}})
    document = a_return(order_id, {skus[0]: 1})

    execution, states = run_return(stack, document)

    assert execution["status"] == "FAILED"
    assert states == ["StartOrResume", "ValidateReturn", "ValidateReturnFailed", "CancelReturn", "ReturnCancelled"]
    assert_nothing_returned(stack, order_id, skus)
    record = stack.returns.get(document["returnId"])
    assert (record.status, record.validated_at) == (ReturnStatus.CANCELLED, None)
    saga = stack.return_saga_log.get(document["returnId"])
    assert (saga.status, saga.failure.step, saga.failure.error) == (
        ReturnStatus.CANCELLED,
        "ValidateReturn",
        "InjectedFailure",
    )


def test_every_compensation_that_keeps_failing_ends_visible_then_can_be_resumed(stack, products):
    expected_tail = {
        "UnstockReturn": ["UnstockReturn", "UnstockReturnCompensationFailed"],
        "VoidReturnRefund": ["UnstockReturn", "VoidReturnRefund", "VoidReturnRefundCompensationFailed"],
        "CancelReturn": ["UnstockReturn", "VoidReturnRefund", "CancelReturn", "CancelReturnCompensationFailed"],
    }
    held = {"UnstockReturn": (8, 1000), "VoidReturnRefund": (7, 1000), "CancelReturn": (7, 0)}  # stock, refund
    for compensation, tail in expected_tail.items():
        skus = products(1)
        order_id = bought(stack, skus)
        faults(stack, {"CompleteReturn": {"mode": "fail", "rate": 1.0}, compensation: {"mode": "fail", "rate": 1.0}})
        document = a_return(order_id, {skus[0]: 1})

        execution, states = run_return(stack, document)

        assert execution["status"] == "FAILED", compensation
        assert states[5:] == ["CompleteReturnFailed", *tail, "MarkReturnCompensationFailed", "CompensationFailed"]
        record = stack.returns.get(document["returnId"])
        assert record.status is ReturnStatus.COMPENSATION_FAILED, compensation
        saga = stack.return_saga_log.get(document["returnId"])
        assert (saga.status, saga.compensation_failure.step) == (ReturnStatus.COMPENSATION_FAILED, compensation)
        assert (saga.failure.step, saga.failure.error) == ("CompleteReturn", "InjectedFailure")
        stock, refunded = held[compensation]
        assert stack.available(*skus) == {skus[0]: stock}, compensation
        assert stack.payments.get(order_id).refunded_cents == refunded, compensation
        assert stack.orders.get(order_id).returned_units == {skus[0]: 1}, compensation  # still claimed

        # The fault is gone: resuming the compensation finishes the undo.
        faults(stack, {})
        resumed, resumed_states = run_return(
            stack, {"returnId": document["returnId"], "resumeCompensation": True}, name=f"{document['returnId']}-r"
        )

        assert resumed["status"] == "FAILED"
        assert resumed_states == ["StartOrResume", *UNDO_ALL], compensation
        assert_nothing_returned(stack, order_id, skus)
        assert stack.returns.get(document["returnId"]).status is ReturnStatus.CANCELLED
        assert stack.return_saga_log.get(document["returnId"]).status == ReturnStatus.CANCELLED


def test_a_return_given_up_ends_cancelled_only_through_the_resume(stack, products):
    """ADR 0006 for the return (the simulator's seed 582): CancelReturn keeps failing, MarkReturnCompensationFailed
    marks the return. A CancelReturn delivered late (an invocation the state machine stopped waiting for) changes
    nothing; the resume cancels, and gives the claimed unit back."""
    skus = products(1)
    order_id = bought(stack, skus)
    faults(stack, {"CompleteReturn": {"mode": "fail", "rate": 1.0}, "CancelReturn": {"mode": "fail", "rate": 1.0}})
    document = a_return(order_id, {skus[0]: 1})
    _execution, states = run_return(stack, document)
    return_id = document["returnId"]
    assert states[-2:] == ["MarkReturnCompensationFailed", "CompensationFailed"]
    assert stack.returns.get(return_id).status is ReturnStatus.COMPENSATION_FAILED
    faults(stack, {})

    response = stack.client("lambda").invoke(FunctionName="paths-CancelReturnFunction", Payload=json.dumps(document))
    late = json.loads(response["Payload"].read())

    assert late["errorType"] == "SagaGivenUp"
    assert stack.returns.get(return_id).status is ReturnStatus.COMPENSATION_FAILED
    assert stack.orders.get(order_id).returned_units == {skus[0]: 1}  # the claim still holds
    assert stack.return_saga_log.get(return_id).status == ReturnStatus.COMPENSATION_FAILED
    resumed, resumed_states = run_return(
        stack, {"returnId": return_id, "resumeCompensation": True}, name=f"{return_id}-r"
    )
    assert resumed["status"] == "FAILED"
    assert resumed_states == ["StartOrResume", *UNDO_ALL]
    assert_nothing_returned(stack, order_id, skus)
    assert stack.returns.get(return_id).status is ReturnStatus.CANCELLED
    logged = log_states(stack, return_id)
    assert logged[-2:] == ["COMPENSATION_FAILED", "CANCELLED"]  # the resume's cancel, after the mark


def test_a_return_resume_given_up_in_its_turn_is_not_finished_by_its_own_late_cancel(stack, products):
    """ADR 0012 for the return: the resume names the mark it ends; given up in its turn, it marks the return
    again, so a CancelReturn of that resume delivered late changes nothing; the next resume names the new mark."""
    skus = products(1)
    order_id = bought(stack, skus)
    faults(stack, {"CompleteReturn": {"mode": "fail", "rate": 1.0}, "CancelReturn": {"mode": "fail", "rate": 1.0}})
    document = a_return(order_id, {skus[0]: 1})
    run_return(stack, document)
    return_id = document["returnId"]
    assert stack.returns.get(return_id).compensation_failures == 1
    resume = {"returnId": return_id, "resumeCompensation": True, "resumesFailure": 1}

    execution, states = run_return(stack, resume, name=f"{return_id}-r1")  # CancelReturn fails still
    assert states[-2:] == ["MarkReturnCompensationFailed", "CompensationFailed"]
    cancels = [step for step in scheduled(stack.history(execution["executionArn"])) if step.state == "CancelReturn"]
    assert cancels
    assert all(json.loads(step.input)["resumesFailure"] == 1 for step in cancels)  # carried all along
    record = stack.returns.get(return_id)
    assert (record.status, record.compensation_failures) == (ReturnStatus.COMPENSATION_FAILED, 2)
    faults(stack, {})
    response = stack.client("lambda").invoke(FunctionName="paths-CancelReturnFunction", Payload=json.dumps(resume))
    late = json.loads(response["Payload"].read())

    assert late["errorType"] == "SagaGivenUp"
    assert stack.returns.get(return_id).status is ReturnStatus.COMPENSATION_FAILED
    assert stack.orders.get(order_id).returned_units == {skus[0]: 1}
    next_resume = {**resume, "resumesFailure": 2}
    resumed, _states = run_return(stack, next_resume, name=f"{return_id}-r2")
    assert resumed["status"] == "FAILED"
    assert_nothing_returned(stack, order_id, skus)
    assert stack.returns.get(return_id).status is ReturnStatus.CANCELLED


def test_an_undo_cannot_take_back_returned_units_sold_again_and_says_so(stack, products):
    skus = products(1)
    order_id = bought(stack, skus)
    faults(stack, {"CompleteReturn": {"mode": "fail", "rate": 1.0}, "UnstockReturn": {"mode": "fail", "rate": 1.0}})
    document = a_return(order_id, {skus[0]: 1})
    run_return(stack, document)
    assert stack.returns.get(document["returnId"]).status is ReturnStatus.COMPENSATION_FAILED
    assert stack.available(*skus) == {skus[0]: 8}  # the restock still holds
    faults(stack, {})
    stack.inventory.put_product(stack.inventory.get_products(skus)[skus[0]].model_copy(update={"available": 0}))

    resumed, resumed_states = run_return(
        stack, {"returnId": document["returnId"], "resumeCompensation": True}, name=f"{document['returnId']}-r"
    )

    assert resumed_states[:2] == ["StartOrResume", "UnstockReturn"]
    failures = {
        (details["error"], details["cause"])
        for event in stack.history(resumed["executionArn"])
        if (details := event.get("lambdaFunctionFailedEventDetails") or event.get("taskFailedEventDetails"))
    }
    why = f"the returned units of {skus[0]} were sold again: they cannot be taken back"
    assert any(error == "OutOfStock" and why in cause for error, cause in failures), failures
    assert stack.returns.get(document["returnId"]).status is ReturnStatus.COMPENSATION_FAILED
    assert stack.available(*skus) == {skus[0]: 0}  # nothing taken that is not there
    assert stack.payments.get(order_id).refunded_cents == 1000  # the refund stands until an operator decides


def test_a_cancel_whose_answer_is_lost_ends_cancelled(stack, products):
    skus = products(1)
    order_id = bought(stack, skus)
    faults(stack, {"RefundReturn": {"mode": "fail", "rate": 1.0}, "CancelReturn": {"mode": "transient", "rate": 1.0}})
    document = a_return(order_id, {skus[0]: 1})

    execution, states = run_return(stack, document)

    assert execution["status"] == "FAILED"
    assert states[-4:] == [
        "CancelReturn",
        "CancelReturnCompensationFailed",
        "MarkReturnCompensationFailed",
        "ReturnCancelled",
    ]
    assert_nothing_returned(stack, order_id, skus)
    assert stack.returns.get(document["returnId"]).status is ReturnStatus.CANCELLED
    saga = stack.return_saga_log.get(document["returnId"])
    assert (saga.status, saga.compensation_failure) == (ReturnStatus.CANCELLED, None)


def test_concurrent_returns_never_return_more_than_was_bought(stack, products):
    skus = products(1)
    order_id = bought(stack, skus, quantity=4)
    documents = [a_return(order_id, {skus[0]: 2}) for _ in range(4)]  # 8 units asked for, 4 bought

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(lambda document: run_return(stack, document)[0]["status"], documents))

    assert sorted(outcomes) == ["FAILED", "FAILED", "SUCCEEDED", "SUCCEEDED"]
    statuses = sorted(stack.returns.get(document["returnId"]).status.value for document in documents)
    assert statuses == ["COMPLETED", "COMPLETED", "REJECTED", "REJECTED"]
    assert stack.available(*skus) == {skus[0]: 10}
    payment = stack.payments.get(order_id)
    assert (payment.refunded_cents, payment.amount_cents) == (4000, 4000)
    assert stack.orders.get(order_id).returned_units == {skus[0]: 4}


def test_an_input_without_return_id_is_named_after_its_execution(stack, products):
    skus = products(1)
    order_id = bought(stack, skus)
    document = a_return(order_id, {skus[0]: 1})
    del document["returnId"]

    arn = stack.start(document, name=f"r-{uuid.uuid4().hex[:12]}", machine=RETURN)
    execution = stack.wait(arn)

    return_id = arn.rsplit(":", 1)[1]
    assert execution["status"] == "SUCCEEDED"
    assert stack.entered_states(arn) == ["StartOrResume", "NameReturnAfterExecution", *FORWARD[1:]]
    assert stack.returns.get(return_id).status is ReturnStatus.COMPLETED
    assert stack.available(*skus) == {skus[0]: 8}
    assert stack.payments.get(order_id).refunded_cents == 1000


def test_a_lost_completion_stays_completed_even_when_the_first_undo_keeps_failing(stack, products):
    """Same, but UnstockReturn fails before it can look: MarkReturnCompensationFailed looks instead, and the saga
    still succeeds; the COMPLETED return is never marked COMPENSATION_FAILED (and so never resumed into an undo)."""
    skus = products(1)
    order_id = bought(stack, skus)
    faults(
        stack, {"CompleteReturn": {"mode": "transient", "rate": 1.0}, "UnstockReturn": {"mode": "fail", "rate": 1.0}}
    )
    document = a_return(order_id, {skus[0]: 1})

    execution, states = run_return(stack, document)

    assert execution["status"] == "SUCCEEDED"
    assert states[-5:] == [
        "CompleteReturnFailed",
        "UnstockReturn",
        "UnstockReturnCompensationFailed",
        "MarkReturnCompensationFailed",
        "ReturnSucceeded",
    ]
    assert stack.available(*skus) == {skus[0]: 8}
    assert stack.payments.get(order_id).refunded_cents == 1000
    record = stack.returns.get(document["returnId"])
    assert record.status is ReturnStatus.COMPLETED
    saga = stack.return_saga_log.get(document["returnId"])
    assert (saga.status, saga.failure, saga.compensation_failure) == (ReturnStatus.COMPLETED, None, None)


def test_a_return_that_cannot_even_be_marked_ends_in_its_own_fail_state(stack, products):
    """MarkReturnCompensationFailed failing after its retries is never silent: the execution ends in a Fail state of
    its own, and the data stays as the undo that gave up left it (the return not marked)."""
    skus = products(1)
    order_id = bought(stack, skus)
    lam, iam = stack.client("lambda"), stack.client("iam")
    name = "MarkReturnCompensationFailed"
    function = next(f for f in lam.list_functions()["Functions"] if name in f["FunctionName"])
    role = function["Role"].rsplit("/", 1)[1]
    policies = {
        policy: iam.get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"]
        for policy in iam.list_role_policies(RoleName=role)["PolicyNames"]
    }
    faults(stack, {"CompleteReturn": {"mode": "fail", "rate": 1.0}, "UnstockReturn": {"mode": "fail", "rate": 1.0}})
    for policy in policies:  # the role may do nothing: every attempt to mark the return is denied
        iam.delete_role_policy(RoleName=role, PolicyName=policy)
    document = a_return(order_id, {skus[0]: 1})
    try:
        execution, states = run_return(stack, document)
    finally:
        for policy, statement in policies.items():
            iam.put_role_policy(RoleName=role, PolicyName=policy, PolicyDocument=json.dumps(statement))
        faults(stack, {})

    assert execution["status"] == "FAILED"
    assert execution["error"] == "CompensationFailureNotRecorded"
    assert states[-3:] == ["UnstockReturnCompensationFailed", name, "CompensationFailureNotRecorded"]
    assert stack.returns.get(document["returnId"]).status is not ReturnStatus.COMPENSATION_FAILED
    assert stack.available(*skus) == {skus[0]: 8}  # restocked, the unstock given up: nothing taken back
    assert stack.payments.get(order_id).refunded_cents == 1000
