"""The narrow seams where moto (pinned: 5.2.5) is patched. Each install checks its seam's signature
and raises SeamChanged if a moto upgrade moved it; tests/infra/test_moto_seams.py checks them too.

1. ``LambdaFunction._invoke_lambda(self, event) -> (payload, errored, logs)``: the one place where
   moto runs a handler (in Docker). Replaced by a call to a LambdaRunner. moto's ``invoke()`` then
   sets ``x-amz-function-error`` when errored; Step Functions' interpreter raises on that header and
   takes the payload's ``errorType`` as the error name a Catch/Retry matches. Each call is metered
   (``usage_meter``: requests and billed duration, as Lambda bills them).
2. ``StepFunctionsParserBackend.start_execution``: a nameless start gets a UUID name, as on AWS
   (moto's interpreter backend builds the ARN from the name as given, ending in ``:None``); an input over
   256 KiB is refused first, as AWS does (``moto_limits.check_execution_input``).
3. ``boto_client_for`` of the interpreter: it builds a new boto3 client for every Task (~10 ms);
   clients are cached per (region, service, in-process mock or server port). Safe because the
   original ignores the state credentials (fixed dummy keys) and botocore clients are thread-safe.
   In server mode its Lambda client is a ``DirectLambdaClient``: moto's Lambda backend called in
   this process, not an HTTP request to this same server.
4. ``configure_moto``: turn on moto's ASL interpreter and point its own calls at our server port.

Speed and atomicity patches live in their own modules and are installed with these by ``install_all``:
``moto_dynamodb`` (atomic requests, item-level transaction rollback, cheaper updates and responses),
``moto_sfn`` (definitions and JSONPaths parsed once), ``moto_dispatch`` (per-request constants cached);
``moto_limits``, AWS's payload limits with AWS's error names; ``lambda_concurrency``, reserved
concurrency and the ``Lambda.<code>`` error names of refused invocations; and ``queue_policies``, the queue
policy that must allow each EventBridge or SNS delivery to SQS.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import math
import sys
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from local_cloud.direct_lambda import DirectLambdaClient
from local_cloud.lambda_types import FunctionSpec, InvokeResult, LambdaRunner, error_payload
from local_cloud.moto_limits import check_execution_input
from local_cloud.role_credentials import RoleCredentials, RoleNotAssumable
from local_cloud.seams import Installation as Installation  # re-exported: tests and server use these names
from local_cloud.seams import SeamChanged as SeamChanged
from local_cloud.seams import replace as _replace
from local_cloud.seams import require_signature as require_signature
from local_cloud.seams import set_environ
from local_cloud.usage_meter import USAGE

# The logs Invoke returns with LogType=Tail: AWS returns the last 4 KB.
_TAIL_BYTES = 4096
# moto's log streams are not thread-safe ("to be thread safe this would need a lock", logs/models.py).
_LOGS_LOCK = threading.Lock()


# -- 1. Lambda ----------------------------------------------------------------------------------


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
        tail = result.logs.encode()[-_TAIL_BYTES:].decode("utf-8", "ignore")
        return result.payload, result.errored, tail

    return Installation([_replace(cls, "_invoke_lambda", _invoke_lambda)])


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


def _save_logs(fn: Any, spec: FunctionSpec, result: InvokeResult) -> None:
    """Write the call to /aws/lambda/<function>, one stream per execution environment, framed by
    START/END/REPORT lines as on AWS."""
    rid = result.request_id
    report = (
        f"REPORT RequestId: {rid}\tDuration: {result.duration_ms:.2f} ms\t"
        f"Billed Duration: {math.ceil(result.duration_ms)} ms\tMemory Size: {spec.memory_mb} MB"
    )
    if result.init_duration_ms is not None:
        report += f"\tInit Duration: {result.init_duration_ms:.2f} ms"
    lines = [f"START RequestId: {rid} Version: {spec.version}"]
    lines += [line for line in result.logs.splitlines() if line.strip()]
    lines += [f"END RequestId: {rid}", report]
    now = int(time.time() * 1000)
    stream = f"{time.strftime('%Y/%m/%d', time.gmtime())}/[{spec.version}]{result.worker_id or rid}"
    backend = fn.logs_backend
    with _LOGS_LOCK:
        backend.ensure_log_group(fn.logs_group_name)
        if stream not in backend.groups[fn.logs_group_name].streams:
            backend.create_log_stream(fn.logs_group_name, stream)
        backend.put_log_events(fn.logs_group_name, stream, [{"timestamp": now, "message": m} for m in lines])


# -- 2. nameless StartExecution -------------------------------------------------------------------


def install_execution_names() -> Installation:
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend.start_execution
    require_signature(
        original,
        ["self", "state_machine_arn", "name", "execution_input", "trace_header"],
        "StepFunctionsParserBackend.start_execution",
    )

    def start_execution(
        self: Any, state_machine_arn: str, name: Any = None, execution_input: Any = None, trace_header: Any = None
    ) -> Any:
        check_execution_input(execution_input)
        return original(self, state_machine_arn, name or str(uuid.uuid4()), execution_input, trace_header)

    return Installation([_replace(StepFunctionsParserBackend, "start_execution", start_execution)])


# -- 3. the interpreter's boto3 clients ------------------------------------------------------------

_BOTO_CLIENT_MODULE = "moto.stepfunctions.parser.asl.utils.boto_client"


def install_sfn_client_cache() -> Installation:
    module = importlib.import_module(_BOTO_CLIENT_MODULE)
    original = module.boto_client_for
    require_signature(original, ["region", "service", "state_credentials"], "boto_client_for")
    # Importing the backend imports every Task implementation, i.e. every module that bound the name.
    importlib.import_module("moto.stepfunctions.parser.models")
    importlib.import_module("moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils")
    cache: dict[tuple[str, str, bool, str, str], Any] = {}
    lock = threading.Lock()

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        # In-process (mock_aws) clients carry no endpoint, server-mode ones carry MOTO_PORT's.
        in_process = bool(module.botocore_stubber.enabled)
        role_arn = str(getattr(state_credentials, "role_arn", "") or "")
        key = (region, service, in_process, module.moto_server_port(), role_arn)
        client = cache.get(key)
        if client is None:
            with lock:  # creating boto3 clients on the shared default session is not thread-safe
                client = cache.get(key)
                if client is None:
                    if service == "lambda":
                        # No HTTP round trip to ourselves; invokes only what the state machine's role allows.
                        client = cache[key] = DirectLambdaClient(region, role_arn=role_arn)
                    else:
                        client = cache[key] = original(region, service, state_credentials)
        return client

    undo = []
    for name, mod in list(sys.modules.items()):
        if (name == _BOTO_CLIENT_MODULE or name.startswith("moto.stepfunctions.parser.")) and getattr(
            mod, "boto_client_for", None
        ) is original:
            undo.append(_replace(mod, "boto_client_for", boto_client_for))
    return Installation(undo)


# -- 4. configuration ------------------------------------------------------------------------------


def configure_moto(port: int | None = None) -> Installation:
    """Turn on moto's ASL interpreter; with ``port``, send its own service calls to that port."""
    from moto.core.config import default_user_config

    sfn_config: dict[str, Any] = default_user_config.setdefault("stepfunctions", {})  # type: ignore[assignment]
    previous = sfn_config.get("execute_state_machine", False)
    sfn_config["execute_state_machine"] = True
    undo: list[Callable[[], None]] = [lambda: sfn_config.__setitem__("execute_state_machine", previous)]
    if port is not None:
        undo.append(set_environ("MOTO_PORT", str(port)))
    return Installation(undo)


def install_all(
    runner: LambdaRunner,
    endpoint_url: str | None = None,
    port: int | None = None,
    roles: RoleCredentials | None = None,
) -> Installation:
    """Everything the local cloud needs from moto, IAM enforcement included; ``endpoint_url``/``port`` for
    server mode only."""
    from local_cloud import (
        cloudwatch_alarms,
        event_sources,
        iam_enforcement,
        invocation_credentials,
        lambda_concurrency,
        moto_dispatch,
        moto_dynamodb,
        moto_limits,
        moto_sfn,
        queue_policies,
    )

    parts = [
        configure_moto(port),
        iam_enforcement.install(),
        invocation_credentials.install(),
        install_lambda_runner(runner, endpoint_url, roles),
        install_execution_names(),
        install_sfn_client_cache(),
        moto_dynamodb.install_all(),
        moto_sfn.install_all(),
        moto_dispatch.install_all(),
        moto_limits.install_all(),
        lambda_concurrency.install_all(),
        cloudwatch_alarms.install_emf_metrics(),
        event_sources.install(),
        queue_policies.install(),
    ]
    return Installation([part.uninstall for part in parts])
