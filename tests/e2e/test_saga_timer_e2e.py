"""A choreographed saga's timer on the local cloud. A second stack (tests/e2e/conftest.py: slow_retry_stack),
deployed beside the suite's own, with StalledSagaSeconds 5 and its minute sweep switched off, so that only the
saga's timer can find it: the saga's OrderCreated is lost, and the saga is compensated about 5 s after it
stopped, with nothing taken."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from checkout_saga.clock import parse_iso
from checkout_saga.models import PaymentStatus, Product
from saga_client.choreography_stack import wait_until_empty
from tests.e2e.conftest import SLOW_RETRY_STACK_BOUND
from tests.e2e.test_compensation_failed_alarm import alerts_queue, raised_after
from tests.e2e.test_coordinations_e2e import checkout, checkout_losing_order_created
from tests.e2e.test_saga_e2e import wait_for_order
from tests.support.stack import Stack

BOUND = SLOW_RETRY_STACK_BOUND  # StalledSagaSeconds of this stack
# How late after the bound the undo may start: the timer's whole seconds, the pollers, a loaded machine.
LATENESS = 6


@pytest.fixture(scope="module")
def timer_only_stack(slow_retry_stack: Stack) -> Stack:
    """The stack whose stalled sagas only their timers can find: the minute sweep's schedule is disabled."""
    stack = slow_retry_stack
    sweeper = stack.outputs["SweepStalledSagasFunctionName"]  # the live alias, which the schedule invokes
    events = stack.client("events")
    schedules = events.list_rule_names_by_target(TargetArn=sweeper)["RuleNames"]
    assert len(schedules) == 1
    events.disable_rule(Name=schedules[0])
    return stack


@pytest.mark.e2e
def test_a_lost_event_is_found_by_the_sagas_own_timer(timer_only_stack: Stack) -> None:
    stack = timer_only_stack
    sku = f"TMR-{uuid.uuid4().hex[:6]}"
    stack.seed([Product(sku=sku, name="Timed", unit_price_cents=1000, available=10)])
    alerts, alarm, reset = alerts_queue(stack), "e2e-slow-retries-StalledSagasAlarm", datetime.now(UTC)
    stack.client("cloudwatch").set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="test: reset")

    order_id = checkout_losing_order_created(stack, sku)
    order = wait_for_order(stack, order_id, timeout=BOUND + LATENESS + 20)

    assert order["status"] == "CANCELLED"
    assert order["saga"]["failure"]["step"] == "ReserveStock"
    assert order["saga"]["failure"]["error"] == "SagaStalled"
    history = order["saga"]["history"]
    assert [entry["state"] for entry in history] == [
        "STARTED",
        "ORDER_CREATED",
        "PAYMENT_REFUNDED",
        "STOCK_RELEASED",
        "CANCELLED",
    ]
    stood_still = _seconds_between(history[1]["at"], history[2]["at"])
    assert BOUND <= stood_still < BOUND + LATENESS, stood_still
    assert stack.available(sku) == {sku: 10}
    payment = stack.payments.get(order_id)
    assert payment is not None
    assert payment.status is PaymentStatus.VOIDED
    # Its timer, set again by the sweep, comes due once more, finds the saga ended and is dropped (deleted).
    wait_until_empty(stack, ["StalledSagaTimerQueueUrl"], timeout=BOUND + LATENESS + 10)
    # The stalled saga raised the stack's alarm (the timer counts it in StalledSagas).
    [raised, *_] = raised_after(stack, alerts, alarm, reset)
    assert raised["Trigger"]["MetricName"] == "StalledSagas"


def _seconds_between(earlier: str, later: str) -> float:
    return (parse_iso(later) - parse_iso(earlier)).total_seconds()


@pytest.mark.e2e
def test_a_step_waiting_out_its_retries_is_not_taken_for_a_stalled_saga(timer_only_stack: Stack) -> None:
    """tok_flaky fails ChargePayment twice: its retries wait 2 s then 4 s, longer in all than the bound. Each
    retried attempt notes itself on the saga log, so the timer sees a saga that is moving."""
    stack = timer_only_stack
    sku = f"TMR-{uuid.uuid4().hex[:6]}"
    stack.seed([Product(sku=sku, name="Timed", unit_price_cents=1000, available=10)])

    order_id = checkout(stack, sku, 2, "tok_flaky", "choreography")["orderId"]
    order = wait_for_order(stack, order_id, timeout=60)

    assert order["status"] == "CONFIRMED"
    assert order["saga"]["failure"] is None
    at = {entry["state"]: entry["at"] for entry in order["saga"]["history"]}
    assert _seconds_between(at["STOCK_RESERVED"], at["PAYMENT_CHARGED"]) > BOUND  # no change that long but retries
    assert stack.available(sku) == {sku: 8}
    payment = stack.payments.get(order_id)
    assert payment is not None
    assert payment.status is PaymentStatus.CAPTURED
