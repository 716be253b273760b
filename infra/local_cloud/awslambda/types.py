"""The types every Lambda runner shares: what to run, what came back, and the runner protocol.

Stdlib only: the worker process imports this module too.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from local_cloud.account import LOCAL_CLOUD_ACCOUNT_ID


@dataclass(frozen=True)
class FunctionSpec:
    """One deployed version of a function: everything a runner needs to run it."""

    function_name: str
    handler: str  # "pkg.module.func"
    code_sha: str  # identifies code_bytes; code is unpacked once per sha
    code_bytes: bytes = field(repr=False)  # the deployment package (zip)
    environment: dict[str, str] = field(default_factory=dict)
    timeout_seconds: float = 3.0
    memory_mb: int = 128
    region: str = "us-east-1"
    function_arn: str = ""
    version: str = "$LATEST"
    # The execution role's temporary credentials (AWS_ACCESS_KEY_ID, ... as Lambda sets them). Not part of
    # the configuration: renewed credentials reach a warm environment, they do not replace it.
    credentials: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    def config_key(self) -> tuple[object, ...]:
        """What identifies a warm execution environment: a change in any of these needs a fresh one,
        as on AWS, where an update of code or configuration replaces the function's environments."""
        return (
            self.code_sha,
            self.handler,
            tuple(sorted(self.environment.items())),
            self.timeout_seconds,
            self.memory_mb,
            self.region,
            self.function_arn,
            self.version,
        )

    @property
    def arn(self) -> str:
        return (
            self.function_arn or f"arn:aws:lambda:{self.region}:{LOCAL_CLOUD_ACCOUNT_ID}:function:{self.function_name}"
        )


@dataclass
class InvokeResult:
    """The outcome of one invocation, as Lambda's Invoke API reports it."""

    payload: str  # JSON text: the handler's result, or Lambda's error shape when errored
    errored: bool
    logs: str  # what the function wrote to stdout/stderr during this call
    request_id: str = ""
    duration_ms: float = 0.0
    init_duration_ms: float | None = None  # set on a cold start only
    worker_id: str = ""  # which execution environment ran it (names the log stream)


class LambdaRunner(Protocol):
    def invoke(self, spec: FunctionSpec, event_json: str) -> InvokeResult: ...

    def close(self) -> None: ...


def error_payload(error_type: str, message: str, stack_trace: list[str] | None = None, request_id: str = "") -> str:
    """Lambda's error shape. Step Functions takes ``errorType`` as the error name a Catch or Retry matches."""
    body: dict[str, object] = {"errorType": error_type, "errorMessage": message}
    if request_id:
        body["requestId"] = request_id
    if stack_trace is not None:
        body["stackTrace"] = stack_trace
    return json.dumps(body)


def timeout_error(request_id: str, timeout_seconds: float) -> str:
    return error_payload(
        "Sandbox.Timedout", f"RequestId: {request_id} Error: Task timed out after {timeout_seconds:.2f} seconds"
    )


def exit_error(request_id: str, how: str) -> str:
    return error_payload("Runtime.ExitError", f"RequestId: {request_id} Error: Runtime exited with error: {how}")


def reserved_variables(spec: FunctionSpec, log_stream: str) -> dict[str, str]:
    """The variables Lambda sets in every execution environment, over the function's own (on AWS a function
    cannot set these either): both runners use this one list."""
    return {
        "AWS_REGION": spec.region,
        "AWS_DEFAULT_REGION": spec.region,
        "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(int(spec.timeout_seconds)),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": f"{time.strftime('%Y/%m/%d', time.gmtime())}/[{spec.version}]{log_stream}",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "_HANDLER": spec.handler,
    }
