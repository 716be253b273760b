"""`make deploy-localstack` is samlocal (aws-sam-cli-local, in .venv-sam) with samconfig.toml's [localstack]
environment. LocalStack cannot run here (no Docker): these tests check what can be checked without it, that the
deploy reads that environment and sends every AWS call to the emulator's endpoint, never to AWS."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from local_cloud.netutil import free_port

pytestmark = pytest.mark.server  # samlocal processes, calling a port nothing listens on

ROOT = Path(__file__).resolve().parents[2]
SAMLOCAL = ROOT / ".venv-sam" / "bin" / "samlocal"


def test_make_deploy_localstack_is_samlocal_with_the_localstack_config() -> None:
    recipe = subprocess.run(["make", "-n", "deploy-localstack"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "samlocal build" in recipe.stdout
    assert "samlocal deploy --config-env localstack" in recipe.stdout
    assert "deployer" not in recipe.stdout  # the project's deployer is for the local cloud only


def test_samlocal_deploy_reads_the_localstack_environment_and_calls_only_the_emulator() -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there: the first call fails, and says where
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,  # samlocal's own setting (default http://localhost:4566)
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_MAX_ATTEMPTS": "1",
        "SAM_CLI_TELEMETRY": "0",
        "DISABLE_DEPRECATION_NOTICE": "1",
    }
    result = subprocess.run(
        [str(SAMLOCAL), "deploy", "--config-env", "localstack", "--template-file", "template.yaml", "--debug"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "config environment: localstack" in output
    assert "'stack_name': 'checkout-saga'" in output
    assert "LocalEndpoint=http://localhost:4566 RetryIntervalSeconds=1 RetryBackoffRate=1" in output
    assert f'Could not connect to the endpoint URL: "{endpoint}/"' in output
    # The only AWS URL it names is SAM's telemetry endpoint, which SAM_CLI_TELEMETRY=0 leaves unused.
    assert not [line for line in output.splitlines() if "amazonaws.com" in line and "Telemetry endpoint" not in line]
