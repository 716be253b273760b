"""The AWS limits a saga can hit, enforced with AWS's error names (moto pinned: 5.2.5).

Step Functions (quota: 256 KiB of data, UTF-8, per state input, output and execution input):

- A state's output or a Lambda task's result over the limit fails the state with ``States.DataLimitExceeded``:
  moto's interpreter does this itself (``_verify_size_quota``); ``check_state_size_quota`` makes sure it still
  does, so a moto upgrade cannot silently drop it.
- ``StartExecution`` with a larger input is refused before anything runs. The quota (Step Functions Developer
  Guide, service quotas: "262,144 bytes ... affects ... input data when ... starting an execution") and
  botocore's model (StartExecution ``input``, shape SensitiveData, max 262144) agree on the size; the error is
  StartExecution's documented one for an input it does not accept, ``InvalidExecutionInput`` (400). (The model
  also lists ValidationException; which of the two AWS answers for size alone was not observed here.) moto
  checks only that the input is JSON.

Lambda (quota: 6 MB per synchronous invocation request, and per response):

- An ``Invoke`` (RequestResponse) whose payload is over 6291456 bytes is refused with
  ``RequestEntityTooLargeException`` (413), as AWS answers "Request must be smaller than 6291456 bytes for the
  InvokeFunction operation".
- A response over 6291556 bytes becomes AWS's function error ``Function.ResponseSizeTooLarge`` (Invoke answers
  200 with ``X-Amz-Function-Error: Unhandled``). moto checks this only in its HTTP response handler, and a
  little early (``sys.getsizeof(payload) > 6000000``); here it is checked exactly on every path (HTTP, Step
  Functions' in-process client, API Gateway). Left as it is: over HTTP, moto's own check still refuses a
  response of 6,000,000 to 6,291,556 bytes, which AWS would return.

The seam for both Lambda limits is ``LambdaBackend.invoke``: every synchronous invocation goes through it.
StartExecution's check runs in moto_patches' StartExecution seam (``check_execution_input``).
"""

from __future__ import annotations

import json
from typing import Any

from local_cloud.seams import Installation, SeamChanged, replace, require_signature, require_source

STATE_PAYLOAD_LIMIT_BYTES = 256 * 1024
INVOKE_REQUEST_LIMIT_BYTES = 6_291_456
INVOKE_RESPONSE_LIMIT_BYTES = 6_291_556


def _size(data: Any) -> int:
    if data is None:
        return 0
    return len(data.encode("utf-8") if isinstance(data, str) else bytes(data))


# -- Step Functions -------------------------------------------------------------------------------------------


def check_state_size_quota() -> None:
    """moto's own check of every state's output and of every Lambda task's result: still there, same limit."""
    from moto.stepfunctions.parser import quotas
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import StateTaskLambda
    from moto.stepfunctions.parser.asl.component.state.state import CommonStateField

    if getattr(quotas, "MAX_STATE_SIZE_UTF8_BYTES", None) != STATE_PAYLOAD_LIMIT_BYTES:
        raise SeamChanged("moto.stepfunctions.parser.quotas.MAX_STATE_SIZE_UTF8_BYTES is no longer 256 KiB")
    require_source(
        CommonStateField._eval_body,
        ["self._verify_size_quota(env=env, value=env.states.get_input())"],
        "CommonStateField._eval_body",
    )
    require_source(
        StateTaskLambda._eval_execution, ["self._verify_size_quota(env=env, value=output)"], "StateTaskLambda"
    )


def check_execution_input(execution_input: Any) -> None:
    """Called by the StartExecution seam (moto_patches) before anything else."""
    from moto.stepfunctions.exceptions import InvalidExecutionInput  # the parser's own class loses its code

    size = _size(execution_input)
    if size > STATE_PAYLOAD_LIMIT_BYTES:
        raise InvalidExecutionInput(
            f"Execution input of {size} bytes exceeds the maximum of {STATE_PAYLOAD_LIMIT_BYTES} bytes (256 KiB)"
        )


# -- Lambda ---------------------------------------------------------------------------------------------------


def install_invoke_payload_limits() -> Installation:
    from moto.awslambda.exceptions import LambdaClientError
    from moto.awslambda.models import LambdaBackend

    original = LambdaBackend.invoke
    require_signature(
        original,
        ["self", "function_name", "qualifier", "body", "headers", "response_headers"],
        "LambdaBackend.invoke",
    )

    class RequestEntityTooLarge(LambdaClientError):
        code = 413

        def __init__(self) -> None:
            super().__init__(
                "RequestEntityTooLargeException",
                f"Request must be smaller than {INVOKE_REQUEST_LIMIT_BYTES} bytes for the InvokeFunction operation",
            )

    def invoke(
        self: Any, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any
    ) -> Any:
        synchronous = (headers or {}).get("x-amz-invocation-type", "RequestResponse") == "RequestResponse"
        if synchronous and _size(body) > INVOKE_REQUEST_LIMIT_BYTES:
            raise RequestEntityTooLarge()
        payload = original(self, function_name, qualifier, body, headers, response_headers)
        if synchronous and _size(payload) > INVOKE_RESPONSE_LIMIT_BYTES:
            response_headers["x-amz-function-error"] = "Unhandled"
            payload = json.dumps(
                {
                    "errorMessage": "Response payload size exceeded maximum allowed payload size "
                    f"({INVOKE_RESPONSE_LIMIT_BYTES} bytes).",
                    "errorType": "Function.ResponseSizeTooLarge",
                }
            ).encode()
            response_headers["Content-Length"] = str(len(payload))
        return payload

    return Installation([replace(LambdaBackend, "invoke", invoke)])


def install_all() -> Installation:
    check_state_size_quota()
    return install_invoke_payload_limits()
