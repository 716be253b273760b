"""`python -m deployer` as `make up` / `make outputs` run it: against a moto server on a free port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

from tests.deployer.conftest import ROOT

pytestmark = pytest.mark.server  # a moto server on a free port, and `python -m deployer` processes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "infra"), str(ROOT)])}
    return subprocess.run(
        [sys.executable, "-m", "deployer", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_deploy_then_outputs_print_one_json_object(endpoint: str) -> None:
    deployed = run(
        "deploy",
        "--endpoint-url", endpoint,
        "--stack-name", "cli",
        "--parameter-overrides", f"LocalEndpoint={endpoint}", "RetryIntervalSeconds=1", "RetryBackoffRate=1",
    )  # fmt: skip
    assert deployed.returncode == 0, deployed.stderr
    assert "  created   AWS::Lambda::Function" in deployed.stderr
    outputs = json.loads(deployed.stdout)
    assert outputs["ApiUrl"].startswith(f"{endpoint}/restapis/")
    assert outputs["ApiUrl"].endswith("/v1/_user_request_")

    printed = run("outputs", "--endpoint-url", endpoint, "--stack-name", "cli")
    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout) == outputs  # the whole of stdout is the one object
    assert {"ApiUrl", "CheckoutStateMachineArn"} <= set(outputs)


def test_outputs_of_an_unknown_stack_is_one_line_and_non_zero(endpoint: str) -> None:
    result = run("outputs", "--endpoint-url", endpoint, "--stack-name", "never-deployed")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "stack never-deployed is not deployed" in result.stderr


@pytest.mark.parametrize("command", ["outputs", "deploy"])
def test_an_endpoint_nobody_answers_suggests_make_up(command: str) -> None:
    result = run(command, "--endpoint-url", f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert "is the local cloud running? Start it with `make up`" in result.stderr


def test_the_default_endpoint_follows_local_cloud_port() -> None:
    port = free_port()
    env = {**os.environ, "LOCAL_CLOUD_PORT": str(port), "PYTHONPATH": str(ROOT / "infra")}
    result = subprocess.run(
        [sys.executable, "-m", "deployer", "outputs"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert f"http://localhost:{port}" in result.stderr


def test_plan_lists_the_resources_in_deploy_order_offline() -> None:
    result = run("plan")
    assert result.returncode == 0, result.stderr
    order = [line.split()[1] for line in result.stdout.splitlines()]
    assert (
        order.index("CreateOrderFunctionRole")
        < order.index("CreateOrderFunction")
        < order.index("CheckoutStateMachine")
    )
    assert order.index("CheckoutApi") < order.index("CheckoutApiStage")
