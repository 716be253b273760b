"""The choreography's routing comes from the saga's definition: every event a step can emit reaches the one step
that reacts to it (the rules of template.yaml route exactly `REACTIONS`' events to the queue of the service that
runs that step), the undo runs in reverse as the state machine's does, and a definition with one more step gets
its tables with no list written by hand."""

import importlib
from dataclasses import replace
from pathlib import Path
from typing import Any

from checkout_saga.choreography.service import ENDS_HERE, STEP_HANDLERS, TRANSIENT
from checkout_saga.errors import OrderAlreadyExists, PaymentProviderUnavailable, TransientStepError
from checkout_saga.models import SagaState
from checkout_saga.saga_definition import CHECKOUT, Step
from checkout_saga.saga_events import (
    CHECKOUT_REQUESTED,
    COMPENSATION_FAILED,
    REACTIONS,
    SAGA_STALLED,
    SOURCE,
    TRANSITION_EVENTS,
    exclusive_steps,
    failed,
    forward_transitions,
    reactions,
    transition_events,
)
from deployer.template import load_template

RESOURCES: dict[str, Any] = load_template(Path(__file__).resolve().parents[2] / "template.yaml")["Resources"]
SERVICES = {step.service for step in (*CHECKOUT.steps, CHECKOUT.gives_up)}


def routed() -> dict[str, str]:
    """event name -> the service whose queue the template's rules send it to."""
    routes: dict[str, str] = {}
    for service in SERVICES:
        properties = RESOURCES[f"{service}EventsRule"]["Properties"]
        assert properties["EventPattern"]["source"] == [SOURCE]
        assert properties["Targets"][0]["Arn"] == {"Fn::GetAtt": [f"{service}EventsQueue", "Arn"]}
        for name in properties["EventPattern"]["detail-type"]:
            assert name not in routes, f"{name} goes to two queues"
            routes[name] = service
    return routes


def test_each_event_goes_to_the_queue_of_the_service_that_reacts_to_it() -> None:
    assert routed() == {name: CHECKOUT.step(step).service for name, step in REACTIONS.items()}


def test_each_service_runs_the_handler_the_state_machine_invokes() -> None:
    for service in SERVICES:
        assert RESOURCES[f"{service}ServiceFunction"]["Properties"]["Handler"] == (
            "checkout_saga.choreography.service.handler"
        )
    assert set(REACTIONS.values()) == set(STEP_HANDLERS)
    for step, handler in STEP_HANDLERS.items():
        module = RESOURCES[f"{step}Function"]["Properties"]["Handler"].rsplit(".", 1)[0]
        assert importlib.import_module(module).handler is handler, step


def test_the_forward_path_and_the_undo_follow_the_state_machine() -> None:
    def after(state: SagaState) -> str:
        return REACTIONS[TRANSITION_EVENTS[state]]

    assert REACTIONS[CHECKOUT_REQUESTED] == "CreateOrder"
    assert [after(s) for s in (SagaState.ORDER_CREATED, SagaState.STOCK_RESERVED, SagaState.PAYMENT_CHARGED)] == [
        "ReserveStock",
        "ChargePayment",
        "ConfirmOrder",
    ]
    assert [after(SagaState.PAYMENT_REFUNDED), after(SagaState.STOCK_RELEASED)] == ["ReleaseStock", "CancelOrder"]
    # Where each failure enters the undo: statemachine/checkout.asl.json's Catches.
    assert {step.name: REACTIONS[failed(step.name)] for step in CHECKOUT.forward} == {
        "CreateOrder": "CancelOrder",
        "ReserveStock": "ReleaseStock",
        "ChargePayment": "RefundPayment",
        "ConfirmOrder": "RefundPayment",
    }
    assert REACTIONS[SAGA_STALLED] == "RefundPayment"
    assert REACTIONS[COMPENSATION_FAILED] == "MarkCompensationFailed"
    # The saga's ends announce themselves; nothing reacts to them here.
    for end in (SagaState.CONFIRMED, SagaState.CANCELLED, SagaState.COMPENSATION_FAILED):
        assert TRANSITION_EVENTS[end] not in REACTIONS


def test_retries_and_endings_are_the_definitions() -> None:
    assert {TransientStepError.__name__, PaymentProviderUnavailable.__name__} == TRANSIENT
    assert OrderAlreadyExists.__name__ in ENDS_HERE["CreateOrder"]
    assert ENDS_HERE["RefundPayment"] >= {"OrderConfirmed"}
    assert ENDS_HERE["MarkCompensationFailed"] == {"OrderConfirmed", "SagaAlreadyCompensated"}


def test_a_definition_with_one_more_step_gets_its_tables() -> None:
    # Given: ApplyDiscount between ReserveStock and ChargePayment, with an undo of its own
    discount = Step(
        "ApplyDiscount",
        records="DISCOUNT_APPLIED",
        announces="DiscountApplied",
        service="Orders",
        undo=Step("RevokeDiscount", records="DISCOUNT_REVOKED", announces="DiscountRevoked", service="Orders"),
    )
    forward = (*CHECKOUT.forward[:2], discount, *CHECKOUT.forward[2:])
    saga = replace(CHECKOUT, forward=forward)

    # When / Then: the forward path, the undo and the failures route through it
    table = reactions(saga)
    assert table["StockReserved"] == "ApplyDiscount"
    assert table["DiscountApplied"] == "ChargePayment"
    assert table[failed("ApplyDiscount")] == "RevokeDiscount"
    assert table["PaymentRefunded"] == "RevokeDiscount"
    assert table["DiscountRevoked"] == "ReleaseStock"
    assert [step.name for step in saga.compensations] == [
        "RefundPayment",
        "RevokeDiscount",
        "ReleaseStock",
        "CancelOrder",
    ]
    assert transition_events(saga)["DISCOUNT_APPLIED"] == "DiscountApplied"
    assert forward_transitions(saga)["ApplyDiscount"] == "DISCOUNT_APPLIED"
    assert "ApplyDiscount" in exclusive_steps(saga)
    assert "ConfirmOrder" not in exclusive_steps(saga)
    assert saga.step_after("STOCK_RESERVED") == "ApplyDiscount"
    assert saga.step_after("DISCOUNT_APPLIED") == "ChargePayment"
    # and the real tables are the original definition's, with ApplyDiscount nowhere
    assert "ApplyDiscount" not in REACTIONS.values()
