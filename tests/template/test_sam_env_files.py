"""The `sam local invoke --env-vars` files against template.yaml. SAM applies a file's value only to a variable the
template declares for the function and drops the rest without a word; a declared variable the file leaves out gets
its unresolved Ref (the logical id, e.g. "OrdersTable"). So each file must set exactly the template's variables."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

import deployer
from deployer.template import load_template
from saga_client.sam_env import VARIABLE_OUTPUTS, sam_env_vars, write_env_file
from saga_client.stack_access import local_parameters
from tests.template.test_sam_cli import FUNCTIONS

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE: dict[str, Any] = load_template(ROOT / "template.yaml")
LOCAL_CLOUD_FILE = ROOT / "events" / "sam-local-env.local-cloud.json"
# The committed file, and LocalStack's when `make sam-env-localstack` has written it.
ENV_FILES = sorted((ROOT / "events").glob("sam-local-env.*.json"))
CONTAINER_ENDPOINT = "http://host.docker.internal:4566"


def declared(function: str) -> dict[str, Any]:
    """The variables template.yaml declares for `function`: Globals, then its own."""
    own = TEMPLATE["Resources"][function]["Properties"].get("Environment", {}).get("Variables", {})
    return {**TEMPLATE["Globals"]["Function"]["Environment"]["Variables"], **own}


def test_there_is_a_file_for_the_local_cloud() -> None:
    assert LOCAL_CLOUD_FILE in ENV_FILES


@pytest.mark.parametrize("env_file", ENV_FILES, ids=lambda path: path.name)
def test_a_file_sets_only_declared_variables_and_every_variable_the_stack_decides(env_file: Path) -> None:
    values = json.loads(env_file.read_text(encoding="utf-8"))
    assert list(values) == ["Parameters"], "one set for every function (SAM's CloudFormation-parameters form)"
    names = set(values["Parameters"])
    declared_anywhere = set().union(*(declared(function) for function in FUNCTIONS))
    assert names <= declared_anywhere, f"SAM would drop {sorted(names - declared_anywhere)}"
    for function in FUNCTIONS:
        # A literal (POWERTOOLS_*) is right as it is; a Ref or Fn::If would reach the container unresolved.
        decided_by_stack = {name for name, value in declared(function).items() if isinstance(value, dict)}
        assert decided_by_stack <= names, f"{function}: {sorted(decided_by_stack - names)} left unset"


@pytest.mark.slow  # it deploys the whole template
def test_the_local_cloud_file_names_what_make_up_deploys() -> None:
    # make up's deploy, into in-process moto serving the local cloud's account.
    with mock_aws(), pytest.MonkeyPatch.context() as patch:
        patch.setenv("MOTO_ACCOUNT_ID", "000000000000")
        outputs = deployer.deploy(
            ROOT / "template.yaml",
            stack_name="checkout-saga",
            endpoint_url=None,
            parameter_overrides=local_parameters("http://localhost:4566"),
            log=lambda _: None,
        )
    assert json.loads(LOCAL_CLOUD_FILE.read_text(encoding="utf-8")) == sam_env_vars(outputs, CONTAINER_ENDPOINT)


@pytest.mark.slow  # SAM CLI's own interpreter, as the `sam` tests
def test_sam_gives_each_container_the_files_values() -> None:
    """SAM CLI's own code (in .venv-sam) computes what `sam local invoke` would put in each container."""
    python = ROOT / ".venv-sam" / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{python} is missing: run `make install` (make test installs it)")
    env = {k: v for k, v in os.environ.items() if k not in declared("ApiFunction")}  # the shell must not interfere
    result = subprocess.run(
        [str(python), str(ROOT / "tests" / "template" / "sam_env_probe.py"), "template.yaml", str(LOCAL_CLOUD_FILE),
         *FUNCTIONS],
        cwd=ROOT, env={**env, "SAM_CLI_TELEMETRY": "0"}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    environments = json.loads(result.stdout)
    values = json.loads(LOCAL_CLOUD_FILE.read_text(encoding="utf-8"))["Parameters"]
    for function in FUNCTIONS:
        expected = {name: values[name] for name in declared(function) if name in values}
        got = environments[function]
        assert {name: got.get(name) for name in expected} == expected, function
        assert got["AWS_ENDPOINT_URL"] == CONTAINER_ENDPOINT
    assert "IDEMPOTENCY_TABLE" not in environments["CreateOrderFunction"]  # set only where declared


def test_the_generator_refuses_a_stack_without_the_outputs_it_needs(tmp_path: Path) -> None:
    outputs = {output: f"value-of-{output}" for output in VARIABLE_OUTPUTS.values()}
    del outputs["IdempotencyTableName"]
    with pytest.raises(ValueError, match="IdempotencyTableName"):
        sam_env_vars(outputs, CONTAINER_ENDPOINT)

    target = tmp_path / "sam-local-env.localstack.json"
    target.write_text("previous")
    with pytest.raises(ValueError, match="IdempotencyTableName"):
        write_env_file(target, outputs, CONTAINER_ENDPOINT)
    assert target.read_text() == "previous"  # nothing half-written


def test_the_generator_writes_localstacks_generated_names(tmp_path: Path) -> None:
    # LocalStack's CloudFormation names resources <stack>-<LogicalId>-<random suffix>.
    outputs = {output: f"checkout-saga-{output}-a1b2c3" for output in VARIABLE_OUTPUTS.values()}
    target = tmp_path / "sam-local-env.localstack.json"
    write_env_file(target, outputs, "http://checkout-saga-localstack:4566")
    written = json.loads(target.read_text())["Parameters"]
    assert written["ORDERS_TABLE"] == "checkout-saga-OrdersTableName-a1b2c3"
    assert written["AWS_ENDPOINT_URL"] == "http://checkout-saga-localstack:4566"
    assert set(written) == set(json.loads(LOCAL_CLOUD_FILE.read_text())["Parameters"])
