"""The template as AWS's own tools see it: `sam validate --lint` (cfn-lint) and `sam build`, both offline
and without Docker. aws-sam-cli lives in .venv-sam (it pins its own boto3 and pydantic)."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from deployer.template import load_template
from tests.template.test_sample_event_files import snake

ROOT = Path(__file__).resolve().parents[2]
SAM = ROOT / ".venv-sam" / "bin" / "sam"
# Every function a state machine runs (its DefinitionSubstitutions), and the API's: derived from the template,
# so a new step is checked without being listed here.
TEMPLATE = load_template(ROOT / "template.yaml")
# The choreographed checkout's functions (no state machine names them).
CHOREOGRAPHY = [
    "PublishSagaEventsFunction",
    "OrdersServiceFunction",
    "InventoryServiceFunction",
    "PaymentsServiceFunction",
    "SweepStalledSagasFunction",
    "StalledSagaTimerFunction",
]
FUNCTIONS = [
    value["Ref"].removesuffix(".Alias")  # each Task invokes its function's alias `live`
    for resource in TEMPLATE["Resources"].values()
    if resource["Type"] == "AWS::Serverless::StateMachine"
    for value in resource["Properties"]["DefinitionSubstitutions"].values()
    if isinstance(value, dict) and str(value.get("Ref", "")).endswith(".Alias")
] + ["ApiFunction", *CHOREOGRAPHY]


def sam(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    if not SAM.exists():
        pytest.fail(f"{SAM} is missing: run `make install` (make test installs it)")
    env = {
        **os.environ,
        "SAM_CLI_TELEMETRY": "0",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }
    return subprocess.run([str(SAM), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_sam_validate_lint_passes():
    result = sam("validate", "--lint", "--template-file", "template.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


# What makes two functions one build for SAM: it builds each distinct definition once and copies the artefact to
# every function that shares it (26 copies of 48 MB made the whole build the suite's slowest test).
BUILD_PROPERTIES = ("CodeUri", "Runtime", "Architectures", "Layers")


def test_every_function_shares_one_build_definition():
    """So `sam build` of one function proves the packaging of all of them."""
    functions = {
        name: resource
        for name, resource in TEMPLATE["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    assert set(FUNCTIONS) <= set(functions)
    for name, resource in functions.items():
        own = [key for key in BUILD_PROPERTIES if key in resource["Properties"]] + list(resource.get("Metadata", {}))
        assert own == [], f"{name} sets {own}: it would be built apart, and the build test covers one definition"
    assert TEMPLATE["Globals"]["Function"]["CodeUri"] == "functions/"


@pytest.mark.slow
def test_sam_build_packages_a_function_with_its_dependencies(tmp_path):
    build_dir = tmp_path / "build"
    result = sam(
        "build",
        "ApiFunction",
        # A build of one resource never records its dependencies' folder (.aws-sam/deps), so a cached one would
        # leave a new copy of them there at every run.
        "--no-cached",
        "--template-file",
        "template.yaml",
        "--build-dir",
        str(build_dir),
        "--cache-dir",
        str(tmp_path / "cache"),
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    artefact = build_dir / "ApiFunction"
    assert (artefact / "checkout_saga" / "handlers").is_dir()
    assert (artefact / "aws_lambda_powertools").is_dir(), "requirements.txt was not installed"
    assert (artefact / "pydantic").is_dir()
    built = (build_dir / "template.yaml").read_text()
    assert "ApiFunction" in built


def test_every_sample_event_names_an_existing_function():
    """events/<name>.json is the event of the function <Name>Function (sam local invoke -e)."""
    events = sorted(
        path.stem
        for path in (ROOT / "events").glob("*.json")
        if not path.stem.startswith(("api", "checkout", "return", "sam-local"))  # API and state machine inputs
    )
    resources = load_template(ROOT / "template.yaml")["Resources"]
    functions = {
        snake(name.removesuffix("Function")) for name, r in resources.items() if r["Type"].endswith("Function")
    }
    assert events, "no sample events"
    assert set(events) <= functions
    for name in events:
        json.loads((ROOT / "events" / f"{name}.json").read_text())
