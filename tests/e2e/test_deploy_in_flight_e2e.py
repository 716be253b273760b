"""A deploy while a saga runs (docs/adr/0011-a-saga-runs-the-version-it-started-with.md), in both coordinations.
Orchestrated, the API starts sagas through the checkout state machine's alias `live`; a new version behind it,
published while a saga is held in its payment's retries, runs the sagas started after, and the one in flight
finishes on the version it started with. Choreographed, there is no state machine version to keep: each service's
new version is published behind the alias its queue's mapping invokes, under the saga in flight, which finishes on
the new versions. Every saga ends consistent (the chaos invariants)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests

from saga_client.chaos_driver import SagaRun, where
from saga_client.choreography_stack import SERVICE_QUEUES, wait_until_empty
from saga_client.invariants import Snapshot, check
from saga_client.stored_data import collect
from tests.e2e.test_saga_e2e import wait_for_order
from tests.support.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]  # a saga held in its retries, then two run to their end
API_FUNCTION = "e2e-ApiFunction"  # tests/e2e/conftest.py deploys the stack `e2e`
SERVICE_FUNCTIONS = [f"e2e-{service}ServiceFunction" for service in ("Orders", "Inventory", "Payments")]
PAYMENTS_SERVICE = SERVICE_FUNCTIONS[2]
NEW_FIRST_STATE = "Deployed"  # the new version's only change: a Pass state before the old first state


@pytest.fixture
def redeployable(deployed_stack: Stack) -> Iterator[tuple[Stack, str]]:
    """The stack, and its checkout machine's version behind `live` before the test; both put back after."""
    sfn = deployed_stack.client("stepfunctions")
    machine = deployed_stack.outputs["CheckoutStateMachineArn"]
    alias = f"{machine}:live"
    (route,) = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)["routingConfiguration"]
    definition = sfn.describe_state_machine(stateMachineArn=machine)["definition"]
    yield deployed_stack, route["stateMachineVersionArn"]
    sfn.update_state_machine_alias(stateMachineAliasArn=alias, routingConfiguration=[route])
    sfn.update_state_machine(stateMachineArn=machine, definition=definition)


def checkout(stack: Stack, sku: str, coordination: str = "orchestration") -> dict[str, Any]:
    body: dict[str, Any] = {"items": [{"sku": sku, "quantity": 1}], "paymentToken": "tok_visa"}
    body["coordination"] = coordination
    headers = stack.auth(f"c-deploy-{uuid.uuid4().hex[:6]}")
    accepted = requests.post(f"{stack.outputs['ApiUrl']}/checkout", json=body, headers=headers, timeout=30)
    assert accepted.status_code == 202, accepted.text
    return dict(accepted.json())


def publish_behind_the_alias(stack: Stack, old_version: str) -> str:
    """What a deploy of a changed definition does on the local cloud: a new version, the alias on it at once."""
    sfn = stack.client("stepfunctions")
    machine = stack.outputs["CheckoutStateMachineArn"]
    definition = json.loads(sfn.describe_state_machine(stateMachineArn=old_version)["definition"])
    first = definition["StartAt"]
    definition["States"][NEW_FIRST_STATE] = {"Type": "Pass", "Next": first}
    definition["StartAt"] = NEW_FIRST_STATE
    new_version = sfn.update_state_machine(stateMachineArn=machine, definition=json.dumps(definition), publish=True)
    version_arn = str(new_version["stateMachineVersionArn"])
    routing = [{"stateMachineVersionArn": version_arn, "weight": 100}]
    sfn.update_state_machine_alias(stateMachineAliasArn=f"{machine}:live", routingConfiguration=routing)
    return version_arn


def test_a_saga_in_flight_keeps_its_version_and_every_saga_ends_consistent(
    redeployable: tuple[Stack, str], sku: str, faults: Any
) -> None:
    stack, old_version = redeployable
    api_function = stack.client("lambda").get_function_configuration(FunctionName=API_FUNCTION)
    assert api_function["Environment"]["Variables"]["STATE_MACHINE_ARN"].endswith(":live")
    faults({"ChargePayment": {"mode": "transient", "rate": 1.0}})  # held in the payment's retries
    in_flight = checkout(stack, sku)
    deadline = time.monotonic() + 20
    while "ChargePayment" not in stack.entered_states(in_flight["executionArn"]):
        assert time.monotonic() < deadline, "the saga never reached ChargePayment"
        time.sleep(0.02)

    held = where(stack, SagaRun("deploy", in_flight["orderId"], in_flight["executionArn"]))
    assert "in state ChargePayment" in held, held  # what chaos reports of a saga still running at its bound

    publish_behind_the_alias(stack, old_version)
    faults({})

    assert stack.execution_status(in_flight["executionArn"]) == "RUNNING"  # the deploy happened under it
    after = checkout(stack, sku)
    outcomes = {order["orderId"]: wait_for_order(stack, order["orderId"])["status"] for order in (in_flight, after)}
    assert outcomes[after["orderId"]] == "CONFIRMED"
    assert outcomes[in_flight["orderId"]] in {"CONFIRMED", "CANCELLED"}  # its retry may succeed once faults end
    assert NEW_FIRST_STATE not in stack.entered_states(in_flight["executionArn"])
    assert stack.entered_states(after["executionArn"])[0] == NEW_FIRST_STATE
    runs = [
        SagaRun("deploy", order_id, "", reported_status=status, first_final=status)
        for order_id, status in outcomes.items()
    ]
    snapshot = Snapshot(orders=collect(stack, runs), initial_stock={sku: 10}, available=stack.raw_available([sku]))
    assert check(snapshot) == []


@pytest.fixture
def redeployable_services(deployed_stack: Stack) -> Iterator[Stack]:
    """The stack; its choreography's service functions and their aliases put back as they were after the test."""
    functions = deployed_stack.client("lambda")
    before = {name: functions.get_function_configuration(FunctionName=name) for name in SERVICE_FUNCTIONS}
    aliased = {
        name: functions.get_alias(FunctionName=name, Name="live")["FunctionVersion"] for name in SERVICE_FUNCTIONS
    }
    yield deployed_stack
    for name, configuration in before.items():
        functions.update_function_configuration(FunctionName=name, Environment=configuration["Environment"])
        functions.update_alias(FunctionName=name, Name="live", FunctionVersion=aliased[name])


def deploy_the_services(stack: Stack) -> None:
    """What a deploy that changes the services does to them on the local cloud: UpdateFunctionConfiguration (here a
    new environment variable), a new version, the alias `live` their queues' mappings invoke moved onto it at once;
    each then runs in new execution environments."""
    functions = stack.client("lambda")
    for name in SERVICE_FUNCTIONS:
        variables = functions.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
        functions.update_function_configuration(
            FunctionName=name, Environment={"Variables": {**variables, "DEPLOYED": "in-flight-test"}}
        )
        version = functions.publish_version(FunctionName=name)["Version"]
        functions.update_alias(FunctionName=name, Name="live", FunctionVersion=version)


@contextmanager
def payments_held(stack: Stack) -> Iterator[None]:
    """The payments service's queue mapping disabled: its events wait on the queue (a transient fault would not
    hold the saga: a choreographed step's transition goes out with its effect, before the fault fires)."""
    functions = stack.client("lambda")
    alias = functions.get_alias(FunctionName=PAYMENTS_SERVICE, Name="live")["AliasArn"]
    (mapping,) = functions.list_event_source_mappings(FunctionName=alias)["EventSourceMappings"]
    functions.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
    try:
        yield
    finally:
        functions.update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)


def test_a_choreographed_saga_in_flight_through_a_deploy_of_its_services_ends_consistent(
    redeployable_services: Stack, sku: str
) -> None:
    stack = redeployable_services
    with payments_held(stack):
        in_flight = checkout(stack, sku, "choreography")
        deadline = time.monotonic() + 20
        while (saga := stack.saga_log.get(in_flight["orderId"])) is None or saga.state != "STOCK_RESERVED":
            assert time.monotonic() < deadline, f"the saga never reached its payment: {saga}"
            time.sleep(0.05)
        deploy_the_services(stack)
        saga = stack.saga_log.get(in_flight["orderId"])
        assert saga is not None
        assert saga.state == "STOCK_RESERVED"  # the deploy happened under the saga, its payment still to come
        held = where(stack, SagaRun("deploy", in_flight["orderId"], in_flight["executionArn"]))
        assert held == f"saga log {saga.status.value} STOCK_RESERVED"  # what chaos reports of a saga at its bound

    functions = stack.client("lambda")
    for name in SERVICE_FUNCTIONS:  # and each queue's mapping invokes the new version behind the alias
        alias = functions.get_alias(FunctionName=name, Name="live")["AliasArn"]
        (mapping,) = functions.list_event_source_mappings(FunctionName=alias)["EventSourceMappings"]
        assert mapping["FunctionArn"] == alias
        assert functions.get_function_configuration(FunctionName=name, Qualifier="live")["Environment"]["Variables"][
            "DEPLOYED"
        ]
    after = checkout(stack, sku, "choreography")
    outcomes = {order["orderId"]: wait_for_order(stack, order["orderId"])["status"] for order in (in_flight, after)}
    assert outcomes == {in_flight["orderId"]: "CONFIRMED", after["orderId"]: "CONFIRMED"}  # paid by the new version
    wait_until_empty(stack, SERVICE_QUEUES, timeout=20)  # no event of either saga left to come
    runs = [
        SagaRun("deploy", order_id, "", reported_status=status, first_final=status)
        for order_id, status in outcomes.items()
    ]
    snapshot = Snapshot(orders=collect(stack, runs), initial_stock={sku: 10}, available=stack.raw_available([sku]))
    assert check(snapshot) == []
