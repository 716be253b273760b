"""`python -m saga_client sam-env` (what `make sam-env-localstack` runs) writes the `sam local invoke --env-vars`
file of a stack from its outputs, read from the running cloud: the same variables as the committed local cloud
file, with this stack's names."""

import json
from pathlib import Path

import pytest

from saga_client.__main__ import main

LOCAL_CLOUD_FILE = Path(__file__).resolve().parents[2] / "events" / "sam-local-env.local-cloud.json"


@pytest.mark.e2e
def test_sam_env_writes_the_stacks_names(deployed_stack, tmp_path: Path) -> None:
    target = tmp_path / "sam-local-env.json"
    command = ["sam-env", "--endpoint-url", deployed_stack.endpoint_url, "--stack-name", "e2e",
               "--container-endpoint", "http://host.docker.internal:4566", "--output", str(target)]  # fmt: skip
    assert main(command) == 0
    written = json.loads(target.read_text())["Parameters"]
    assert set(written) == set(json.loads(LOCAL_CLOUD_FILE.read_text())["Parameters"])
    assert written["ORDERS_TABLE"] == deployed_stack.outputs["OrdersTableName"] == "e2e-OrdersTable"
    assert written["STATE_MACHINE_ARN"] == deployed_stack.outputs["CheckoutStateMachineArn"]
    assert ":000000000000:stateMachine:" in written["STATE_MACHINE_ARN"]  # LocalStack's account on the local cloud


@pytest.mark.e2e
def test_sam_env_on_a_stack_that_is_not_there_is_one_clear_error(deployed_stack, tmp_path: Path, capsys) -> None:
    target = tmp_path / "sam-local-env.json"
    command = ["sam-env", "--endpoint-url", deployed_stack.endpoint_url, "--stack-name", "not-deployed",
               "--container-endpoint", "http://host.docker.internal:4566", "--output", str(target)]  # fmt: skip
    assert main(command) == 1
    assert "not-deployed is not deployed" in capsys.readouterr().err
    assert not target.exists()
