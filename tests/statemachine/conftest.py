"""The real template deployed into in-process moto, its real ASL executed by moto's Step Functions
interpreter, every Task running the real handler in this process through the local cloud's Lambda seam."""

import itertools
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

import deployer
from checkout_saga.handlers.dependencies import reset_caches
from checkout_saga.models import Product
from checks.catches_taken import ENVIRONMENT, catches_taken
from local_cloud.awslambda.runtime import InProcessRunner
from local_cloud.patches import install_all
from tests.support.retry_waits import shortened
from tests.support.stack import Stack

ROOT = Path(__file__).resolve().parents[2]
# Short retries: the ASL's retry timings are template parameters (AWS's recommended values by default).
TEST_PARAMETERS = {
    "RetryIntervalSeconds": "1",
    "RetryBackoffRate": "1",
    "StepMaxAttempts": "2",
    "CompensationMaxAttempts": "2",
    "EnableFaultInjection": "true",
    "FaultPlanMaxAgeSeconds": "0",
}
# ...and shorter still: each Retry waits 1/20 of its IntervalSeconds (tests/support/retry_waits.py).
RETRY_WAIT_DIVISOR = 20


@pytest.fixture(scope="package")
def stack() -> Iterator[Stack]:
    """One stack for the package's modules: each test makes its own products and order ids, so none sees another's
    data. Under xdist the package is two units of work (tests/conftest.py), each deploying it once at most."""
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}), shortened(RETRY_WAIT_DIVISOR):
        runner = InProcessRunner()
        with install_all(runner):
            outputs = deployer.deploy(
                ROOT / "template.yaml",
                stack_name="paths",
                endpoint_url=None,
                region="us-east-1",
                parameter_overrides=TEST_PARAMETERS,
            )
            yield Stack(outputs)
        runner.close()
    reset_caches()


@pytest.fixture(autouse=True)
def no_faults(stack: Stack) -> Iterator[None]:
    """No fault plan before and after each test. The handlers' cached clients are kept (they serve the same stack,
    and the plan is read afresh: FaultPlanMaxAgeSeconds is 0); a test that changes what they were built from
    resets them itself."""
    stack.set_faults({})
    yield
    stack.set_faults({})


_skus = itertools.count(1)


@pytest.fixture
def products(stack: Stack):
    """Fresh products for one test, so its stock assertions are exact: products(3) -> three skus with 10 each."""

    def make(count: int, available: int = 10, price: int = 1000) -> list[str]:
        skus = [f"T{next(_skus):04d}" for _ in range(count)]
        stack.seed(
            [Product(sku=sku, name=f"Product {sku}", unit_price_cents=price, available=available) for sku in skus]
        )
        return skus

    return make


@pytest.fixture(autouse=True)
def catches_taken_by_this_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """For `make check-catches` only (CATCHES_TAKEN names a file): appends the Catches this test's executions took,
    so that each Catch removed runs first the tests that took it. Otherwise it asks for nothing, not even the stack:
    a test that needs no stack deploys none."""
    path = os.environ.get(ENVIRONMENT)
    if not path:
        yield
        return
    stack: Stack = request.getfixturevalue("stack")
    before = set(_executions(stack))
    yield
    taken: set[str] = set()
    definitions: dict[str, Any] = {}  # state machine ARN -> its definition, read once
    for execution, machine in _executions(stack).items():
        if execution not in before:
            if machine not in definitions:
                described = stack.client("stepfunctions").describe_state_machine(stateMachineArn=machine)
                definitions[machine] = json.loads(described["definition"])
            taken |= catches_taken(definitions[machine], stack.history(execution))
    with open(path, "a", encoding="utf-8") as file:
        file.write(json.dumps({"test": request.node.nodeid, "catches": sorted(taken)}) + "\n")


def _executions(stack: Stack) -> dict[str, str]:
    """Every execution of the stack's Standard state machines: its ARN -> its state machine's. (Express executions
    are not listed, as on AWS: the Catches they take are found by the whole suite.)"""
    sfn = stack.client("stepfunctions")
    found: dict[str, str] = {}
    for machine in sfn.list_state_machines()["stateMachines"]:
        if machine.get("type") == "EXPRESS":
            continue
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine["stateMachineArn"]):
            found |= {execution["executionArn"]: machine["stateMachineArn"] for execution in page["executions"]}
    return found
