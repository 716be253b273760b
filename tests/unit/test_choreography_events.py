"""The choreography's routing: every event a step can emit reaches the one step that reacts to it (the rules of
template.yaml route exactly `REACTIONS`' events to the queue of the service whose function runs that step), and
the undo runs in reverse as the state machine's does."""

from pathlib import Path
from typing import Any

from samtranslator.yaml_helper import yaml_parse

from checkout_saga.choreography.events import (
    CHECKOUT_REQUESTED,
    COMPENSATION_FAILED,
    REACTIONS,
    SAGA_STALLED,
    SOURCE,
    TRANSITION_EVENTS,
    failed,
)
from checkout_saga.choreography.service import STEP_HANDLERS
from checkout_saga.models import SagaState, StepName

RESOURCES: dict[str, Any] = yaml_parse((Path(__file__).resolve().parents[2] / "template.yaml").read_text())["Resources"]
# Which service runs which steps: the same split as the state machine's functions' permissions.
SERVICES = {
    "Orders": {"CreateOrder", "ConfirmOrder", "CancelOrder", "MarkCompensationFailed"},
    "Inventory": {"ReserveStock", "ReleaseStock"},
    "Payments": {"ChargePayment", "RefundPayment"},
}


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
    assert routed() == {
        name: next(s for s, steps in SERVICES.items() if step in steps) for name, step in REACTIONS.items()
    }


def test_every_step_reacts_to_something_and_has_its_handler() -> None:
    assert set(REACTIONS.values()) == set(STEP_HANDLERS) == set().union(*SERVICES.values())


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
    assert {step: REACTIONS[failed(step)] for step in list(StepName)[:4]} == {
        StepName.CREATE_ORDER: "CancelOrder",
        StepName.RESERVE_STOCK: "ReleaseStock",
        StepName.CHARGE_PAYMENT: "RefundPayment",
        StepName.CONFIRM_ORDER: "RefundPayment",
    }
    assert REACTIONS[SAGA_STALLED] == "RefundPayment"
    assert REACTIONS[COMPENSATION_FAILED] == "MarkCompensationFailed"
    # The saga's ends announce themselves; nothing reacts to them here.
    for end in (SagaState.CONFIRMED, SagaState.CANCELLED, SagaState.COMPENSATION_FAILED):
        assert TRANSITION_EVENTS[end] not in REACTIONS
