"""The stack deployed with CheckoutWorkflowType=EXPRESS beside the suite's, on the same local cloud: the checkout
through the API, its execution run twice by the local cloud (as AWS may run an Express execution), charges once,
reserves once and confirms once; the order view takes the saga's history from the saga log, since Step Functions
answers no history for an Express execution."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from checkout_saga.models import OrderStatus, PaymentStatus, Product
from saga_client.api_client import CheckoutApi
from saga_client.chaos import run_chaos
from saga_client.chaos_report import render
from saga_client.chaos_scenario import ChaosOptions
from saga_client.express_runs import duplicates_started, set_duplicate_rate
from tests.e2e.conftest import ROOT, deploy_beside
from tests.support.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
PRICE, UNITS = 1250, 10
ENDED_METRICS = ("ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted")


@pytest.fixture(scope="module")
def express_stack(deployed_stack: Stack) -> Iterator[Stack]:
    stack = deploy_beside(deployed_stack, ROOT / "template.yaml", "e2e-express", CheckoutWorkflowType="EXPRESS")
    yield stack
    set_duplicate_rate(stack, 0)


def executions_ended(stack: Stack, since: datetime) -> int:
    """The checkout machine's executions that ended since `since`, from the AWS/States metrics (published for
    Express executions too: the only count of them Step Functions gives)."""
    cloudwatch, total = stack.client("cloudwatch"), 0.0
    for name in ENDED_METRICS:
        answer = cloudwatch.get_metric_statistics(
            Namespace="AWS/States",
            MetricName=name,
            Dimensions=[{"Name": "StateMachineArn", "Value": stack.outputs["CheckoutStateMachineArn"]}],
            StartTime=since,
            EndTime=datetime.now(UTC) + timedelta(minutes=1),
            Period=3600,
            Statistics=["Sum"],
        )
        total += sum(point["Sum"] for point in answer["Datapoints"])
    return int(total)


def test_a_checkout_run_twice_charges_once_reserves_once_and_confirms_once(express_stack: Stack) -> None:
    stack = express_stack
    sku = f"EXP-{uuid.uuid4().hex[:6]}"
    stack.seed([Product(sku=sku, name="Express product", unit_price_cents=PRICE, available=UNITS)])
    api = CheckoutApi(stack.outputs["ApiUrl"], token=stack.identities.token("c-express"))
    operator = CheckoutApi(stack.outputs["ApiUrl"], token=stack.identities.operator())
    since = datetime.now(UTC) - timedelta(seconds=5)
    set_duplicate_rate(stack, 1.0)  # every execution of the checkout machine runs twice

    body = {"customerId": "c-express", "items": [{"sku": sku, "quantity": 3}], "paymentToken": "tok_visa"}
    started = api.checkout(body, idempotency_key=f"exp-{uuid.uuid4().hex[:8]}")
    order_id = started["orderId"]

    assert ":express:" in started["executionArn"]
    view = operator.wait_until_terminal(order_id)
    deadline = time.monotonic() + 60
    while executions_ended(stack, since) < 2:  # the duplicate may start only once the first has ended
        assert time.monotonic() < deadline, "the duplicate execution did not end"
        time.sleep(0.2)
    assert duplicates_started(stack) == 1

    assert view["status"] == "CONFIRMED"
    assert [entry["state"] for entry in view["saga"]["history"]] == [
        "STARTED",
        "ORDER_CREATED",
        "STOCK_RESERVED",
        "PAYMENT_CHARGED",
        "CONFIRMED",
    ]
    assert stack.orders.get(order_id).status is OrderStatus.CONFIRMED
    payment = stack.payments.get(order_id)
    assert (payment.status, payment.amount_cents, payment.refunded_cents) == (PaymentStatus.CAPTURED, 3 * PRICE, 0)
    assert stack.available(sku) == {sku: UNITS - 3}
    assert stack.inventory.get_reservation(order_id) is not None
    with pytest.raises(ClientError) as refused:  # no history API for an Express execution, as on AWS
        stack.client("stepfunctions").get_execution_history(executionArn=started["executionArn"])
    assert refused.value.response["Error"]["Code"] == "InvalidArn"


def test_a_small_chaos_round_on_express_with_duplicates_keeps_every_invariant(express_stack: Stack) -> None:
    """The chaos round (`make chaos WORKFLOW=EXPRESS`) at a small size: faults at every step, the local cloud
    running a third of the executions twice, the race, the pivot, the stuck sagas and their resume."""
    options = dataclasses.replace(
        ChaosOptions(sagas=12, seed=3, concurrency=8, batch_size=12, race_buyers=6, race_units=2, saga_timeout=120),
        workflow="EXPRESS",
        duplicate_rate=0.3,
    )

    report = run_chaos(express_stack, options, say=lambda _line: None)

    summary = render(report)
    assert report.violations == [], summary
    assert report.duplicate_executions > 0, summary
    assert all(run.ended for run in report.runs), summary
    assert report.race.endswith(": 2 sold"), summary
    assert {r.order_status for r in report.resumed} == {"CANCELLED"}, summary
