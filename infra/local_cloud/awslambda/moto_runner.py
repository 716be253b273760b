"""moto's Lambda runs handlers without Docker: the one seam where moto (pinned: 5.2.5) runs a handler,
``LambdaFunction._invoke_lambda(self, event) -> (payload, errored, logs)``, is replaced by a call to a
LambdaRunner (``runtime``). moto's ``invoke()`` then sets ``x-amz-function-error`` when errored; Step Functions'
interpreter raises on that header and takes the payload's ``errorType`` as the error name a Catch/Retry matches.
Each call runs with temporary credentials of the function's execution role, is metered (``usage_meter``:
requests and billed duration, as Lambda bills them), writes its logs to ``/aws/lambda/<function>``, and a failed
call counts in ``AWS/Lambda`` ``Errors`` (``cloudwatch.service_metrics``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import threading
import time
from typing import Any

from local_cloud.awslambda.types import FunctionSpec, InvokeResult, LambdaRunner, error_payload
from local_cloud.cloudwatch import service_metrics
from local_cloud.iam.role_credentials import RoleCredentials, RoleNotAssumable
from local_cloud.seams import Installation, SeamChanged, replace, require_signature
from local_cloud.usage_meter import USAGE

# The logs Invoke returns with LogType=Tail: AWS returns the last 4 KB.
_TAIL_BYTES = 4096
# The error types of a call Lambda itself ended: the handler wrote nothing about them.
_LAMBDA_ENDED = frozenset({"Sandbox.Timedout", "Runtime.ExitError", "Runtime.InitError"})
# moto's log streams are not thread-safe ("to be thread safe this would need a lock", logs/models.py).
_LOGS_LOCK = threading.Lock()


def lambda_function_class() -> Any:
    from moto.awslambda.models import LambdaFunction

    if not hasattr(LambdaFunction, "_invoke_lambda"):
        raise SeamChanged("moto.awslambda.models.LambdaFunction._invoke_lambda is gone: moto changed this seam")
    require_signature(LambdaFunction._invoke_lambda, ["self", "event"], "LambdaFunction._invoke_lambda")
    return LambdaFunction


def install_lambda_runner(
    runner: LambdaRunner, endpoint_url: str | None = None, roles: RoleCredentials | None = None
) -> Installation:
    """Make moto's Lambda run handlers with ``runner``, each call with temporary credentials of the
    function's execution role. ``endpoint_url``, when given, is added to each function's environment as
    AWS_ENDPOINT_URL so its SDK calls come back to the local cloud."""
    cls = lambda_function_class()
    roles = roles or RoleCredentials()

    def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        spec = function_spec(self, endpoint_url)
        if isinstance(spec, str):
            return spec, True, ""
        try:
            credentials = roles.for_role(self.role, self.function_name, "lambda.amazonaws.com")
        except RoleNotAssumable as exc:
            return error_payload("AccessDeniedException", str(exc)), True, ""
        spec = dataclasses.replace(spec, credentials=credentials.environment())
        result = runner.invoke(spec, _event_json(event))
        USAGE.add_lambda(spec.function_name, result.duration_ms, spec.memory_mb)
        _save_logs(self, spec, result)
        if result.errored:
            service_metrics.lambda_event(spec.function_arn, "Errors")
        tail = result.logs.encode()[-_TAIL_BYTES:].decode("utf-8", "ignore")
        return result.payload, result.errored, tail

    return Installation([replace(cls, "_invoke_lambda", _invoke_lambda)])


def function_spec(fn: Any, endpoint_url: str | None = None) -> FunctionSpec | str:
    """The FunctionSpec of a moto LambdaFunction, or Lambda's error payload if it cannot run here."""
    runtime = str(getattr(fn, "run_time", None) or "")
    if getattr(fn, "package_type", "Zip") != "Zip" or not fn.code_bytes:
        return error_payload("Runtime.InvalidEntrypoint", f"{fn.function_name}: the local cloud runs Zip packages only")
    if not runtime.startswith("python"):
        return error_payload(
            "Runtime.InvalidRuntime", f"{fn.function_name}: the local cloud runs python runtimes only, not {runtime!r}"
        )
    environment = {str(k): str(v) for k, v in (fn.environment_vars or {}).items()}
    if endpoint_url:
        environment["AWS_ENDPOINT_URL"] = endpoint_url
    return FunctionSpec(
        function_name=fn.function_name,
        handler=fn.handler,
        code_sha=fn.code_sha_256 or hashlib.sha256(fn.code_bytes).hexdigest(),
        code_bytes=fn.code_bytes,
        environment=environment,
        timeout_seconds=float(fn.timeout),
        memory_mb=int(fn.memory_size),
        region=fn.region,
        function_arn=fn.function_arn,
        version=str(fn.version),
    )


def _event_json(event: Any) -> str:
    # moto's invoke() passes json.loads(body), or the string "{}" for an empty body.
    if event is None or event == "{}":
        return "{}"
    if isinstance(event, bytes | bytearray):
        return event.decode()
    return json.dumps(event)


def log_lines(spec: FunctionSpec, result: InvokeResult) -> list[str]:
    """One call's lines in its function's log, framed by START/END/REPORT as on AWS. A call that Lambda ended
    (a timeout, a crashed runtime) gets Lambda's own line saying so, as on AWS: the handler could not write one."""
    rid = result.request_id
    report = (
        f"REPORT RequestId: {rid}\tDuration: {result.duration_ms:.2f} ms\t"
        f"Billed Duration: {math.ceil(result.duration_ms)} ms\tMemory Size: {spec.memory_mb} MB"
    )
    if result.init_duration_ms is not None:
        report += f"\tInit Duration: {result.init_duration_ms:.2f} ms"
    lines = [f"START RequestId: {rid} Version: {spec.version}"]
    lines += [line for line in result.logs.splitlines() if line.strip()]
    ended = _ended_by_lambda(result)
    if ended:
        lines.append(ended)
    lines += [f"END RequestId: {rid}", report]
    return lines


def _ended_by_lambda(result: InvokeResult) -> str:
    """The errorMessage of a call Lambda ended ("RequestId: ... Error: Task timed out after 10.00 seconds"), or ""."""
    if not result.errored:
        return ""
    try:
        error = json.loads(result.payload)
    except ValueError:
        return ""
    if not isinstance(error, dict) or error.get("errorType") not in _LAMBDA_ENDED:
        return ""
    return str(error.get("errorMessage", ""))


def _save_logs(fn: Any, spec: FunctionSpec, result: InvokeResult) -> None:
    """Write the call to /aws/lambda/<function>, one stream per execution environment."""
    lines = log_lines(spec, result)
    now = int(time.time() * 1000)
    stream = f"{time.strftime('%Y/%m/%d', time.gmtime())}/[{spec.version}]{result.worker_id or result.request_id}"
    backend = fn.logs_backend
    with _LOGS_LOCK:
        backend.ensure_log_group(fn.logs_group_name)
        if stream not in backend.groups[fn.logs_group_name].streams:
            backend.create_log_stream(fn.logs_group_name, stream)
        backend.put_log_events(fn.logs_group_name, stream, [{"timestamp": now, "message": m} for m in lines])
