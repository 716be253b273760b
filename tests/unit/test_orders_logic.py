import pytest

from checkout_saga.dal.interfaces import LogAppend
from checkout_saga.errors import (
    OrderAlreadyExists,
    OrderConfirmed,
    PaymentNotCaptured,
    SagaAlreadyCompensated,
    SagaGivenUp,
    UnknownOrder,
    UnknownProduct,
)
from checkout_saga.logic.compensation import fence_order
from checkout_saga.logic.orders import (
    cancel_order,
    confirm_order,
    create_order,
    mark_compensation_failed,
    settle_pivot,
)
from checkout_saga.models import CheckoutInput, Order, OrderStatus, PaymentStatus, SagaContext, StepFailure, StepName
from tests.unit.conftest import NOW
from tests.unit.fakes import FakeOrders, FakePayments


def checkout(**overrides: object) -> CheckoutInput:
    document = {
        "orderId": "o-1",
        "customerId": "c-42",
        "items": [{"sku": "KB-001", "quantity": 2}, {"sku": "CB-001", "quantity": 1, "unitPriceCents": 450}],
        "paymentToken": "tok_visa",
    }
    return CheckoutInput.model_validate({**document, **overrides})


def created(inventory, orders, saga_log, **overrides: object) -> SagaContext:
    """The document CreateOrder hands to the next step."""
    context = create_order(checkout(**overrides), inventory, orders, saga_log, NOW).context
    assert isinstance(context, SagaContext)
    return context


def captured(payments: FakePayments, context: SagaContext) -> FakePayments:
    """The order's payment, captured: what ConfirmOrder requires."""
    payments.settle(context.order_id, PaymentStatus.CAPTURED, context.total_cents or 0, None)
    return payments


def test_create_order_prices_from_the_catalog_but_keeps_prices_already_fixed(inventory, orders, saga_log):
    result = create_order(checkout(), inventory, orders, saga_log, NOW)

    order = orders.get("o-1")
    assert order is not None
    assert order.status is OrderStatus.PENDING
    assert [(item.sku, item.unit_price_cents) for item in order.items] == [("KB-001", 4999), ("CB-001", 450)]
    assert order.total_cents == result.context.total_cents == 2 * 4999 + 450
    assert result.transitioned
    assert saga_log.states("o-1") == ["STARTED", "ORDER_CREATED"]


def test_create_order_twice_changes_nothing_the_second_time(inventory, orders, saga_log):
    first = create_order(checkout(), inventory, orders, saga_log, NOW)
    second = create_order(checkout(), inventory, orders, saga_log, "2026-11-22T10:00:05.000Z")

    assert second.context == first.context
    assert not second.transitioned
    assert saga_log.states("o-1") == ["STARTED", "ORDER_CREATED"]
    assert orders.get("o-1").created_at == NOW


def test_create_order_with_an_unknown_sku_stores_no_order(inventory, orders, saga_log):
    with pytest.raises(UnknownProduct, match="NOPE-1"):
        create_order(checkout(items=[{"sku": "NOPE-1", "quantity": 1}]), inventory, orders, saga_log, NOW)
    assert orders.get("o-1") is None


def test_create_order_refuses_an_id_taken_by_another_order(inventory, orders, saga_log):
    create_order(checkout(), inventory, orders, saga_log, NOW)
    with pytest.raises(OrderAlreadyExists):
        create_order(checkout(customerId="someone-else"), inventory, orders, saga_log, NOW)
    assert orders.get("o-1").customer_id == "c-42"


def test_a_late_create_order_after_cancellation_raises_and_changes_nothing(inventory, orders, saga_log):
    cancel_order(created(inventory, orders, saga_log), orders, saga_log, NOW)
    with pytest.raises(SagaAlreadyCompensated):
        create_order(checkout(), inventory, orders, saga_log, NOW)
    assert orders.get("o-1").status is OrderStatus.CANCELLED


def test_confirm_is_idempotent_and_refuses_a_cancelled_order(inventory, orders, saga_log, payments):
    context = created(inventory, orders, saga_log)
    assert confirm_order(context, orders, captured(payments, context), saga_log, NOW).transitioned
    assert not confirm_order(context, orders, captured(payments, context), saga_log, NOW).transitioned
    assert orders.get("o-1").status is OrderStatus.CONFIRMED
    assert saga_log.get("o-1").status is OrderStatus.CONFIRMED

    other = created(inventory, orders, saga_log, orderId="o-2")
    cancel_order(other, orders, saga_log, NOW)
    with pytest.raises(SagaAlreadyCompensated):
        confirm_order(other, orders, captured(payments, other), saga_log, NOW)
    assert orders.get("o-2").status is OrderStatus.CANCELLED


@pytest.mark.parametrize(
    ("payment", "refused_with"),
    [
        (None, PaymentNotCaptured),  # no charge was ever made: a forged PaymentCharged
        (PaymentStatus.DECLINED, SagaAlreadyCompensated),  # the charge failed: the saga is being undone
        (PaymentStatus.REFUNDED, SagaAlreadyCompensated),  # an undo began: this confirmation comes too late
        (PaymentStatus.VOIDED, SagaAlreadyCompensated),
    ],
)
def test_confirm_without_a_captured_payment_confirms_nothing(
    inventory, orders, saga_log, payments, payment, refused_with
):
    context = created(inventory, orders, saga_log)
    if payment is not None:
        payments.settle("o-1", payment, 0, None)

    with pytest.raises(refused_with):
        confirm_order(context, orders, payments, saga_log, NOW)

    assert orders.get("o-1").status is OrderStatus.PENDING
    assert "CONFIRMED" not in saga_log.states("o-1")


def test_confirm_of_an_unknown_order_is_an_error(orders, saga_log, payments):
    with pytest.raises(UnknownOrder):
        confirm_order(
            SagaContext(order_id="missing"), orders, captured(payments, SagaContext(order_id="missing")), saga_log, NOW
        )


def test_cancel_without_a_stored_order_keeps_a_cancelled_record(orders, saga_log):
    context = SagaContext.model_validate(
        {"orderId": "o-9", "customerId": "c-1", "items": [{"sku": "NOPE-1", "quantity": 3}]}
    )
    result = cancel_order(context, orders, saga_log, NOW)

    assert result.transitioned
    order = orders.get("o-9")
    assert order.status is OrderStatus.CANCELLED
    assert order.total_cents == 0
    assert saga_log.get("o-9").status is OrderStatus.CANCELLED


def test_mark_compensation_failed_keeps_which_undo_failed(inventory, orders, saga_log):
    context = created(inventory, orders, saga_log)
    failed = context.model_copy(
        update={
            "failed_compensation": StepName.RELEASE_STOCK,
            "compensation_failure": StepFailure(Error="InjectedFailure", Cause='{"errorMessage": "boom"}'),
        }
    )
    assert mark_compensation_failed(failed, orders, saga_log, NOW).transitioned
    assert not mark_compensation_failed(failed, orders, saga_log, NOW).transitioned

    assert orders.get("o-1").status is OrderStatus.COMPENSATION_FAILED
    record = saga_log.get("o-1")
    assert record.status is OrderStatus.COMPENSATION_FAILED
    assert record.compensation_failure.model_dump() == {
        "step": "ReleaseStock",
        "error": "InjectedFailure",
        "cause": "boom",
    }


LATER = "2026-11-22T10:00:09.000Z"


def test_the_first_undo_of_a_confirmed_order_refuses_it_passed_the_pivot(inventory, orders, saga_log, payments):
    context = created(inventory, orders, saga_log)
    confirm_order(context, orders, captured(payments, context), saga_log, NOW)

    with pytest.raises(OrderConfirmed):
        fence_order(context, orders, LATER)
    assert orders.get("o-1").status is OrderStatus.CONFIRMED


def test_once_the_undo_has_begun_a_confirm_in_flight_confirms_nothing(inventory, orders, saga_log, payments):
    context = created(inventory, orders, saga_log)
    fence_order(context, orders, NOW)

    with pytest.raises(SagaAlreadyCompensated):
        confirm_order(context, orders, captured(payments, context), saga_log, LATER)
    assert orders.get("o-1").status is OrderStatus.PENDING
    assert "CONFIRMED" not in saga_log.states("o-1")


def test_before_marking_compensation_failed_the_real_outcome_is_settled(inventory, orders, saga_log, payments):
    context = created(inventory, orders, saga_log)
    settle_pivot(context, orders, saga_log)  # PENDING: the undo really did not finish

    confirm_order(context, orders, captured(payments, context), saga_log, NOW)
    with pytest.raises(OrderConfirmed):
        settle_pivot(context, orders, saga_log)

    cancelled = context.model_copy(update={"order_id": "o-2"})
    create_order(checkout(orderId="o-2"), inventory, orders, saga_log, NOW)
    cancel_order(cancelled, orders, saga_log, NOW)
    with pytest.raises(SagaAlreadyCompensated):
        settle_pivot(cancelled, orders, saga_log)


def test_a_step_delivered_twice_leaves_the_order_untouched(inventory, orders, saga_log):
    context = created(inventory, orders, saga_log)
    cancel_order(context, orders, saga_log, NOW)

    cancel_order(context, orders, saga_log, LATER)

    assert orders.get("o-1").updated_at == NOW


class LateCreateOrders(FakeOrders):
    """CreateOrder delivered twice: the duplicate stores the PENDING order just before CancelOrder's own
    CANCELLED record (CancelOrder had found no order, because the first CreateOrder failed before its effect)."""

    def create(self, order: Order, log: LogAppend | None = None) -> Order:
        if order.status is OrderStatus.CANCELLED and order.order_id not in self.items:
            super().create(order.model_copy(update={"status": OrderStatus.PENDING}))
        return super().create(order, log=log)


def test_cancel_wins_over_a_create_order_delivered_late_in_between(saga_log):
    orders = LateCreateOrders()
    context = SagaContext.model_validate(
        {"orderId": "o-7", "customerId": "c-1", "items": [{"sku": "KB-001", "quantity": 1, "unitPriceCents": 4999}]}
    )

    cancel_order(context, orders, saga_log, NOW)

    assert orders.get("o-7").status is OrderStatus.CANCELLED
    assert saga_log.get("o-7").status is OrderStatus.CANCELLED
    assert saga_log.states("o-7") == ["CANCELLED"]  # logged once, with the cancellation that applied


def given_up(context: SagaContext) -> SagaContext:
    """The document MarkCompensationFailed gets after CancelOrder kept failing."""
    return context.model_copy(
        update={
            "failed_compensation": StepName.CANCEL_ORDER,
            "compensation_failure": StepFailure(Error="InjectedFailure", Cause='{"errorMessage": "boom"}'),
        }
    )


def test_an_undo_given_up_is_not_finished_by_a_cancel_delivered_late_only_by_a_resume(inventory, orders, saga_log):
    context = created(inventory, orders, saga_log)
    mark_compensation_failed(given_up(context), orders, saga_log, NOW)

    with pytest.raises(SagaGivenUp, match="o-1 was marked COMPENSATION_FAILED"):
        cancel_order(context, orders, saga_log, LATER)
    assert orders.get("o-1").status is OrderStatus.COMPENSATION_FAILED
    assert saga_log.get("o-1").status is OrderStatus.COMPENSATION_FAILED
    assert "CANCELLED" not in saga_log.states("o-1")

    resumed = context.model_copy(update={"resume_compensation": True})
    assert cancel_order(resumed, orders, saga_log, LATER).transitioned
    assert orders.get("o-1").status is OrderStatus.CANCELLED
    assert saga_log.states("o-1")[-2:] == ["COMPENSATION_FAILED", "CANCELLED"]


def test_a_resume_given_up_in_its_turn_is_not_finished_by_its_own_cancel_delivered_late(inventory, orders, saga_log):
    """ADR 0012 (the simulator's seeds 45 and 71): a resume names the mark it ends; its own undo, given up too,
    marks the order again, and a CancelOrder of that resume delivered late then finds a newer mark."""
    context = created(inventory, orders, saga_log)
    mark_compensation_failed(given_up(context), orders, saga_log, NOW)
    assert orders.get("o-1").compensation_failures == 1
    resume = context.model_copy(update={"resume_compensation": True, "resumes_failure": 1})

    mark_compensation_failed(given_up(resume), orders, saga_log, NOW)  # the resume's CancelOrder kept failing
    assert (orders.get("o-1").status, orders.get("o-1").compensation_failures) == (OrderStatus.COMPENSATION_FAILED, 2)
    with pytest.raises(SagaGivenUp, match="o-1 was marked COMPENSATION_FAILED"):
        cancel_order(resume, orders, saga_log, LATER)  # an attempt of it still in flight
    assert orders.get("o-1").status is OrderStatus.COMPENSATION_FAILED
    assert "CANCELLED" not in saga_log.states("o-1")

    next_resume = context.model_copy(update={"resume_compensation": True, "resumes_failure": 2})
    assert cancel_order(next_resume, orders, saga_log, LATER).transitioned
    assert orders.get("o-1").status is OrderStatus.CANCELLED


def test_a_forced_undo_names_no_mark_and_so_never_ends_one(inventory, orders, saga_log):
    """An operator forces the undo of a PENDING order (0 marks); the undo gives up, marks it, and its own late
    CancelOrder changes nothing: only a resume, naming that mark, ends it CANCELLED."""
    context = created(inventory, orders, saga_log)
    forced = context.model_copy(update={"resume_compensation": True, "resumes_failure": 0})
    mark_compensation_failed(given_up(forced), orders, saga_log, NOW)

    with pytest.raises(SagaGivenUp):
        cancel_order(forced, orders, saga_log, LATER)
    assert orders.get("o-1").status is OrderStatus.COMPENSATION_FAILED


def test_a_cancel_that_completed_after_the_pivot_was_settled_keeps_the_saga_cancelled(inventory, orders, saga_log):
    """MarkCompensationFailed's settle_pivot saw the order PENDING; a CancelOrder delivered again then
    completed the undo: the order's own status decides, and nothing records COMPENSATION_FAILED."""
    context = created(inventory, orders, saga_log)
    settle_pivot(context, orders, saga_log)
    cancel_order(context, orders, saga_log, NOW)

    with pytest.raises(SagaAlreadyCompensated, match="o-1 is already CANCELLED"):
        mark_compensation_failed(given_up(context), orders, saga_log, LATER)
    assert orders.get("o-1").status is OrderStatus.CANCELLED
    record = saga_log.get("o-1")
    assert record.status is OrderStatus.CANCELLED
    assert "COMPENSATION_FAILED" not in saga_log.states("o-1")


def test_an_undo_given_up_before_any_order_was_stored_keeps_the_mark_on_an_order_record(orders, saga_log):
    context = SagaContext.model_validate(
        {"orderId": "o-8", "customerId": "c-1", "items": [{"sku": "KB-001", "quantity": 1, "unitPriceCents": 4999}]}
    )
    mark_compensation_failed(given_up(context), orders, saga_log, NOW)

    order = orders.get("o-8")
    assert (order.status, order.customer_id, order.total_cents) == (OrderStatus.COMPENSATION_FAILED, "c-1", 4999)
    with pytest.raises(SagaGivenUp):
        cancel_order(context, orders, saga_log, LATER)
    assert orders.get("o-8").status is OrderStatus.COMPENSATION_FAILED
    assert saga_log.get("o-8").status is OrderStatus.COMPENSATION_FAILED
