"""End to end: a real local cloud server in its own process on a free port, the template deployed to it
with the same command `make up` uses, the catalog seeded; tests talk to it only through its endpoint."""

import itertools
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import deployer
from checkout_saga.models import Product
from saga_client.api_client import CheckoutApi
from tests.support.stack import Stack

ROOT = Path(__file__).resolve().parents[2]
LOCAL_PARAMETERS = {
    "RetryIntervalSeconds": "1",
    "RetryBackoffRate": "1",
    "StepMaxAttempts": "2",
    "CompensationMaxAttempts": "2",
    "ApiRateLimit": "10000",
    "ApiBurstLimit": "5000",
    "CompensationReservedConcurrency": "50",
    "ProtectData": "false",
    "EnableFaultInjection": "true",
    "FaultPlanMaxAgeSeconds": "0",  # the steps read the fault plan at every call: a plan set holds at once
    # The whole suite loads the machine: a call of a few hundred ms on an idle one has taken over 10 s (the
    # API then answers 502, as AWS does for a function that timed out).
    "FunctionTimeoutSeconds": "25",
    # The alarms' own bounds, at their lowest: one failed execution, any request's latency raises them (their
    # tests set them back to OK first, then cause the condition).
    "FailedExecutionsAlarmThreshold": "1",
    "ApiLatencyAlarmMilliseconds": "1",
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _local_cloud(command: str, state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "LOCAL_CLOUD_STATE_DIR": str(state_dir),
        "PYTHONPATH": os.pathsep.join(["functions", "infra", "."]),
    }
    return subprocess.run(
        [sys.executable, "-m", "local_cloud", command, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="session")
def deployed_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    port = _free_port()
    state_dir = tmp_path_factory.mktemp("local-cloud")
    started = _local_cloud("up", state_dir, "--port", str(port))
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        endpoint = f"http://localhost:{port}"
        outputs = deployer.deploy(
            ROOT / "template.yaml",
            stack_name="e2e",
            endpoint_url=endpoint,
            region="us-east-1",
            parameter_overrides={"LocalEndpoint": endpoint, **LOCAL_PARAMETERS},
        )
        stack = Stack(outputs, endpoint_url=endpoint)
        stack.seed()
        yield stack
    finally:
        stopped = _local_cloud("down", state_dir)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr


def deploy_beside(stack: Stack, template: Path, stack_name: str, **parameters: str) -> Stack:
    """Another stack on the suite's local cloud, from `template`, with the suite's parameters and `parameters`."""
    endpoint = stack.endpoint_url
    assert endpoint is not None
    outputs = deployer.deploy(
        template,
        stack_name=stack_name,
        endpoint_url=endpoint,
        region="us-east-1",
        parameter_overrides={"LocalEndpoint": endpoint, **LOCAL_PARAMETERS, **parameters},
    )
    return Stack(outputs, endpoint_url=endpoint)


# A second stack's retries, as on AWS (the suite's stack retries every 1 s): tok_flaky's two retries wait 2 s, then 4 s.
SLOW_RETRIES = {"RetryIntervalSeconds": "2", "RetryBackoffRate": "2", "StepMaxAttempts": "3"}
SLOW_RETRY_STACK_BOUND = 5  # its StalledSagaSeconds


@pytest.fixture(scope="session")
def slow_retry_stack(deployed_stack: Stack) -> Stack:
    """A stack beside the suite's whose steps wait out AWS's retry delays, so that a saga is held in a step's
    retries for seconds (a saga caught running; a step retried for longer than the stall bound, 5 s). Its modules
    are one unit of work (tests/conftest.py), so one worker deploys it once."""
    return deploy_beside(
        deployed_stack,
        ROOT / "template.yaml",
        "e2e-slow-retries",
        **SLOW_RETRIES,
        StalledSagaSeconds=str(SLOW_RETRY_STACK_BOUND),
    )


@pytest.fixture(scope="session")
def console_sagas(deployed_stack: Stack) -> dict[str, dict[str, Any]]:
    """A confirmed and a declined (compensated) checkout through the API, finished: what the console shows, as
    an operator sees the orders (with each failure's own cause)."""
    api = CheckoutApi(deployed_stack.outputs["ApiUrl"], token=deployed_stack.identities.token("c-console"))
    operator = CheckoutApi(deployed_stack.outputs["ApiUrl"], token=deployed_stack.identities.operator())
    orders = {}
    for token in ("tok_visa", "tok_declined"):
        body = {"customerId": "c-console", "items": [{"sku": "KB-001", "quantity": 1}], "paymentToken": token}
        orders[token] = operator.wait_until_terminal(api.checkout(body)["orderId"])
    assert (orders["tok_visa"]["status"], orders["tok_declined"]["status"]) == ("CONFIRMED", "CANCELLED")
    return orders


_skus = itertools.count(1)


@pytest.fixture
def sku(deployed_stack: Stack) -> str:
    """A fresh product with 10 units, for one test's checkouts."""
    value = f"E2E-{next(_skus):04d}"
    deployed_stack.seed([Product(sku=value, name=f"Product {value}", unit_price_cents=1250, available=10)])
    return value


@pytest.fixture
def faults(deployed_stack: Stack):
    """faults(plan): the stack's fault plan, which its steps read at every call (FaultPlanMaxAgeSeconds 0)."""
    yield deployed_stack.set_faults
    deployed_stack.set_faults({})


def console_url(stack: Stack) -> str:
    return f"{stack.endpoint_url}/_console/"
