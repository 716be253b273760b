"""The checkout as an Express workflow: the deployed definition and role, as an EXPRESS state machine beside the
Standard one (what CheckoutWorkflowType=EXPRESS deploys), run by the real interpreter and handlers. An Express
execution runs at least once and has no history API, so every check here reads the data (orders, stock, payments,
the saga log, which the order view and the console show), and both executions of one input are started on purpose,
at once or one after the other."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from checkout_saga.clock import utc_now_iso
from checkout_saga.dal.stepfunctions_starter import StepFunctionsSagaStarter
from checkout_saga.handlers.dependencies import reset_caches
from checkout_saga.logic.saga_operations import force_compensation
from checkout_saga.models import OrderStatus, PaymentStatus, SagaState
from checkout_saga.saga_definition import CHECKOUT
from deployer.template import load_template
from local_cloud.console import sagas
from local_cloud.console.cloud_reader import CloudReader
from local_cloud.console.saga_kinds import saga_machine
from tests.statemachine.test_saga_paths import checkout
from tests.support.stack import Stack

TEMPLATE = load_template(Path(__file__).resolve().parents[2] / "template.yaml")
# What the template substitutes into the checkout's definition, per CheckoutWorkflowType.
EXPRESS_SUBSTITUTIONS = TEMPLATE["Resources"]["CheckoutStateMachine"]["Properties"]["DefinitionSubstitutions"]
FINAL = (OrderStatus.CONFIRMED, OrderStatus.CANCELLED, OrderStatus.COMPENSATION_FAILED)


def at_least_once(definition: str) -> str:
    """The deployed Standard definition as CheckoutWorkflowType=EXPRESS renders it: each forward step's failure
    enters the undo where the saga's definition says for executions that may run twice (the whole undo)."""
    document = json.loads(definition)
    document["TimeoutSeconds"] = int(EXPRESS_SUBSTITUTIONS["ExecutionTimeoutSeconds"]["Fn::If"][1])
    states = document["States"]
    for step in CHECKOUT.forward:
        for catch in states[step.name].get("Catch", []):
            kept = states[catch["Next"]]
            if kept["Type"] == "Pass" and kept.get("Result") == step.name:
                kept["Next"] = CHECKOUT.undo_entry(step.name, at_least_once=True).name
    return json.dumps(document)


@pytest.fixture(scope="module")
def express(stack: Stack) -> str:
    """The checkout state machine's definition and role, as an Express workflow."""
    sfn = stack.client("stepfunctions")
    standard = sfn.describe_state_machine(stateMachineArn=stack.outputs["CheckoutStateMachineArn"])
    return str(
        sfn.create_state_machine(
            name=f"express-checkout-{uuid.uuid4().hex[:6]}",
            definition=at_least_once(standard["definition"]),
            roleArn=standard["roleArn"],
            type="EXPRESS",
            loggingConfiguration=standard["loggingConfiguration"],
        )["stateMachineArn"]
    )


def starter(stack: Stack, machine: str) -> StepFunctionsSagaStarter:
    return StepFunctionsSagaStarter(stack.client("stepfunctions"), machine, express=True)


def ended(arn: str, timeout: float = 60.0) -> str:
    """An Express execution's final status, read from moto's backend in this process: the API has none (the
    tests of the deployed stack wait on the data instead)."""
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    backend = stepfunctions_parser_backends["123456789012"]["us-east-1"]
    execution = next(e for m in backend.state_machines for e in m.executions if e.execution_arn == arn)
    deadline = time.monotonic() + timeout
    while execution.status == "RUNNING":
        assert time.monotonic() < deadline, f"{arn} still running"
        time.sleep(0.05)
    return str(execution.status)


def settled(stack: Stack, order_id: str, check: Callable[[], bool] = lambda: True, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        order = stack.orders.get(order_id)
        if order is not None and order.status in FINAL and check():
            return order
        assert time.monotonic() < deadline, f"order {order_id} did not settle"
        time.sleep(0.05)


@pytest.mark.parametrize("token", ["tok_visa", "tok_declined"])
def test_two_executions_of_one_checkout_apply_it_once(stack, products, express, token):
    skus = products(2)
    document = checkout(skus, token=token)
    order_id = document["orderId"]
    runs = starter(stack, express)

    arns = [runs.start(order_id, document), runs.start(order_id, document)]  # at once, with the same name

    assert arns[0] != arns[1]  # no dedup by name
    assert all(":express:" in arn for arn in arns)
    assert {ended(arn) for arn in arns} <= {"SUCCEEDED", "FAILED"}
    order = settled(stack, order_id)
    payment = stack.payments.get(order_id)
    saga = stack.saga_log.get(order_id)
    states = [transition.state for transition in saga.history]
    assert len(states) == len(set(states)), states  # every transition logged once
    if token == "tok_visa":
        assert order.status is OrderStatus.CONFIRMED
        assert (payment.status, payment.amount_cents, payment.refunded_cents) == (PaymentStatus.CAPTURED, 4000, 0)
        assert stack.available(*skus) == dict.fromkeys(skus, 8)  # reserved once
        assert SagaState.CONFIRMED in states
    else:
        assert order.status is OrderStatus.CANCELLED
        assert payment.status is PaymentStatus.DECLINED
        assert stack.available(*skus) == dict.fromkeys(skus, 10)
        assert states[-1] is SagaState.CANCELLED


def test_a_second_execution_after_the_first_ended_changes_nothing(stack, products, express):
    skus = products(1)
    document = checkout(skus)
    order_id = document["orderId"]
    runs = starter(stack, express)
    assert ended(runs.start(order_id, document)) == "SUCCEEDED"
    before = (stack.orders.get(order_id), stack.payments.get(order_id), stack.saga_log.get(order_id))

    ended(runs.start(order_id, document))

    assert (stack.orders.get(order_id), stack.payments.get(order_id), stack.saga_log.get(order_id)) == before
    assert stack.available(*skus) == {skus[0]: 8}


def test_forced_compensation_needs_no_stop_and_undoes_everything(stack, products, express):
    skus = products(1)
    document = checkout(skus, token="tok_flaky")  # ChargePayment fails twice: the saga waits in its retries
    order_id = document["orderId"]
    runs = starter(stack, express)
    forward = runs.start(order_id, document)
    deadline = time.monotonic() + 20
    while stack.payments.get(order_id) is None:
        assert time.monotonic() < deadline
        time.sleep(0.02)

    undo = force_compensation(order_id, "fraud suspected", stack.orders, stack.saga_log, runs, utc_now_iso())

    # The forward execution was not stopped (an Express one cannot be): the fence sends it into the undo too.
    assert ended(undo.execution_arn) == "FAILED"
    assert ended(forward) == "FAILED"
    assert settled(stack, order_id).status is OrderStatus.CANCELLED
    assert stack.available(*skus) == {skus[0]: 10}
    assert stack.payments.get(order_id).status in (PaymentStatus.VOIDED, PaymentStatus.REFUNDED)
    saga = stack.saga_log.get(order_id)
    assert saga.status is OrderStatus.CANCELLED
    assert (saga.failure.error, saga.failure.cause) == ("ForcedCompensation", "fraud suspected")


def test_the_starter_never_calls_stop_on_an_express_workflow(stack, express):
    class NoStop:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"{name} called on an Express workflow")

    StepFunctionsSagaStarter(NoStop(), express, express=True).stop("o-1", "ForcedCompensation", "why")  # type: ignore[arg-type]
    with pytest.raises(ClientError) as refused:  # as AWS answers an Express execution's ARN
        stack.client("stepfunctions").stop_execution(
            executionArn=express.replace(":stateMachine:", ":express:") + ":o:1"
        )
    assert refused.value.response["Error"]["Code"] == "InvalidArn"


def test_the_console_shows_an_express_saga_from_its_saga_log(stack, products, express):
    reader = CloudReader(None)
    name = express.rsplit(":", 1)[1]
    machine = saga_machine(express, name, reader.tags(stack.outputs["CheckoutStateMachineArn"]))
    assert machine is not None
    skus = products(1)
    document = checkout(skus)
    assert ended(starter(stack, express).start(document["orderId"], document)) == "SUCCEEDED"

    detail = sagas.saga_detail(reader, [machine], name, document["orderId"])

    assert detail["execution"] is None  # Step Functions answers nothing for it
    assert detail["saga"]["status"] == "CONFIRMED"
    assert [state["state"] for state in detail["states"]] == [
        "STARTED",
        "ORDER_CREATED",
        "STOCK_RESERVED",
        "PAYMENT_CHARGED",
        "CONFIRMED",
    ]


def test_a_step_failing_while_its_twin_has_charged_undoes_the_charge_too(stack, products, express):
    """The twin (here its steps, invoked as its execution would) reserved and charged; the other execution's
    ReserveStock then fails. Entering the undo at ReleaseStock, as a lone execution may, would cancel the order
    with the capture still held: on Express every failure runs the whole undo, RefundPayment first."""
    skus = products(1)
    document = checkout(skus)
    order_id = document["orderId"]
    context: dict[str, Any] = document
    for function in ("CreateOrderFunction", "ReserveStockFunction", "ChargePaymentFunction"):
        answer = stack.client("lambda").invoke(FunctionName=f"paths-{function}", Payload=json.dumps(context))
        context = json.loads(answer["Payload"].read())
    assert stack.payments.get(order_id).status is PaymentStatus.CAPTURED
    stack.set_faults({"ReserveStock": {"mode": "fail", "rate": 1.0}})
    reset_caches()

    assert ended(starter(stack, express).start(order_id, document)) == "FAILED"

    assert settled(stack, order_id).status is OrderStatus.CANCELLED
    assert stack.payments.get(order_id).status is PaymentStatus.REFUNDED
    assert stack.available(*skus) == {skus[0]: 10}
    states = [transition.state for transition in stack.saga_log.get(order_id).history]
    assert states[-3:] == [SagaState.PAYMENT_REFUNDED, SagaState.STOCK_RELEASED, SagaState.CANCELLED]
