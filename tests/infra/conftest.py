"""Fixtures for the local cloud's own tests: tiny handler packages zipped on the fly, a worker-pool
runner, and one in-process LocalCloud server per module on a free port."""

from __future__ import annotations

import io
import json
import os
import textwrap
import time
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from local_cloud.awslambda.runtime import FunctionSpec, WorkerPoolRunner
from local_cloud.server import LocalCloud, active


def trust_policy(service: str = "lambda.amazonaws.com") -> str:
    """A role's trust policy letting ``service`` assume it (the local cloud checks it, as AWS does)."""
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def allow(actions: list[str], resource: str) -> str:
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource}]}
    )


# A Lambda execution role with no permissions: enough for handlers that call no AWS API.
ROLE_POLICY = trust_policy()


def make_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, source in files.items():
            archive.writestr(name, textwrap.dedent(source))
    return buffer.getvalue()


# One package used by most runner tests: each handler shows one behaviour.
HANDLERS = """
import json, logging, os, sys, time

print("cold start of", os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))
_logger = logging.getLogger("app")
_handler = logging.StreamHandler(sys.stdout)  # bound at import time, like powertools' Logger
_logger.addHandler(_handler)
_logger.setLevel(logging.INFO)


class PaymentDeclined(Exception):
    pass


def echo(event, context):
    print("echo got", json.dumps(event))
    return {"event": event, "pid": os.getpid()}


def info(event, context):
    names = ["FOO", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID",
             "AWS_SECRET_ACCESS_KEY", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
             "AWS_LAMBDA_FUNCTION_TIMEOUT", "_HANDLER", "LAMBDA_TASK_ROOT", "PYTHONPATH", "AWS_LAMBDA_FUNCTION_VERSION",
             "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_INITIALIZATION_TYPE"]
    return {
        "env": {name: os.environ.get(name) for name in names},
        "cwd": os.getcwd(),
        "sys_path_0": sys.path[0],
        "context": {
            "function_name": context.function_name,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "invoked_function_arn": context.invoked_function_arn,
            "aws_request_id": context.aws_request_id,
            "remaining_ms": context.get_remaining_time_in_millis(),
        },
        "pid": os.getpid(),
    }


def decline(event, context):
    raise PaymentDeclined("card tok_declined was declined")


def chatty(event, context):
    print("to stdout", event["n"])
    print("to stderr", event["n"], file=sys.stderr)
    _logger.info("via logging %s", event["n"])
    return event["n"]


def sleepy(event, context):
    time.sleep(event["seconds"])
    return {"slept": event["seconds"], "pid": os.getpid()}


def rendezvous(event, context):
    # Waits until `parties` calls have arrived (a file each in `directory`): calls run one after another never meet.
    open(os.path.join(event["directory"], str(os.getpid())), "w").close()
    deadline = time.monotonic() + event["timeout"]
    while len(os.listdir(event["directory"])) < event["parties"]:
        if time.monotonic() > deadline:
            return {"met": False, "pid": os.getpid()}
        time.sleep(0.01)
    return {"met": True, "pid": os.getpid()}


def crash(event, context):
    os._exit(3)


def unserializable(event, context):
    return {"when": object()}


def noop(event, context):
    return event
"""


@pytest.fixture(scope="session")
def handlers_zip() -> bytes:
    return make_zip({"app/__init__.py": "", "app/handlers.py": HANDLERS})


@pytest.fixture
def spec(handlers_zip: bytes) -> Callable[..., FunctionSpec]:
    """spec("echo", timeout_seconds=1.0, ...) -> a FunctionSpec for app.handlers.<name>."""

    def make(name: str, **overrides: Any) -> FunctionSpec:
        fields: dict[str, Any] = {
            "function_name": f"fn-{name}",
            "handler": f"app.handlers.{name}",
            "code_sha": "sha-handlers-v1",
            "code_bytes": handlers_zip,
            "environment": {"FOO": "bar"},
            "timeout_seconds": 5.0,
        }
        fields.update(overrides)
        return FunctionSpec(**fields)

    return make


@pytest.fixture
def pool() -> Iterator[WorkerPoolRunner]:
    runner = WorkerPoolRunner("http://127.0.0.1:9")
    yield runner
    runner.close()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child that nobody reaped yet is a zombie: dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return True


def wait_dead(pid: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    """An in-process server on a free port (or the one already running in this process)."""
    existing = active()
    if existing is not None:
        yield existing
        return
    with LocalCloud() as server:
        yield server


@pytest.fixture(scope="module")
def aws(cloud: LocalCloud) -> Callable[[str], Any]:
    def client(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=cloud.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    return client


@pytest.fixture(scope="module")
def role_arn(aws: Callable[[str], Any]) -> str:
    iam = aws("iam")
    try:
        return str(iam.get_role(RoleName="local-cloud-test")["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        return str(iam.create_role(RoleName="local-cloud-test", AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"])


@pytest.fixture(scope="module")
def machine_role_arn(aws: Callable[[str], Any]) -> str:
    """A state machine's role that may invoke every function of the account."""
    iam = aws("iam")
    try:
        return str(iam.get_role(RoleName="local-cloud-test-machine")["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        trust = trust_policy("states.amazonaws.com")
        arn = str(iam.create_role(RoleName="local-cloud-test-machine", AssumeRolePolicyDocument=trust)["Role"]["Arn"])
        iam.put_role_policy(
            RoleName="local-cloud-test-machine",
            PolicyName="invoke",
            PolicyDocument=allow(["lambda:InvokeFunction"], "arn:aws:lambda:*:*:function:*"),
        )
        return arn
