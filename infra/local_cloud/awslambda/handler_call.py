"""Load a handler and call it the way AWS's Python runtime (awslambdaric) does.

Shared by the in-process runner and the worker process, so both return the same
results and the same error shapes. Stdlib only.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from local_cloud.awslambda.types import error_payload

Handler = Callable[[Any, Any], Any]


class HandlerLoadError(Exception):
    """The handler could not be loaded; ``payload`` is the error Lambda returns for it."""

    def __init__(self, payload: str) -> None:
        super().__init__(payload)
        self.payload = payload


class LambdaContext:
    """The context object the Python runtime passes as the handler's second argument."""

    def __init__(
        self,
        *,
        function_name: str,
        function_version: str,
        invoked_function_arn: str,
        memory_limit_in_mb: int,
        aws_request_id: str,
        log_group_name: str,
        log_stream_name: str,
        timeout_seconds: float,
    ) -> None:
        self.function_name = function_name
        self.function_version = function_version
        self.invoked_function_arn = invoked_function_arn
        # awslambdaric reads it from the environment, so on AWS it is a string.
        self.memory_limit_in_mb = str(memory_limit_in_mb)
        self.aws_request_id = aws_request_id
        self.log_group_name = log_group_name
        self.log_stream_name = log_stream_name
        self.identity: Any = None
        self.client_context: Any = None
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))

    def __repr__(self) -> str:
        return f"LambdaContext(function_name={self.function_name!r}, aws_request_id={self.aws_request_id!r})"


def load_handler(handler: str) -> Handler:
    """Import ``module.func`` (``dir/module.func`` too), raising HandlerLoadError with Lambda's error."""
    try:
        module_name, func_name = handler.rsplit(".", 1)
    except ValueError as exc:
        raise HandlerLoadError(
            error_payload("Runtime.MalformedHandlerName", f"Bad handler '{handler}': {exc}")
        ) from None
    module_name = module_name.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise HandlerLoadError(
            error_payload("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}")
        ) from exc
    except SyntaxError as exc:
        raise HandlerLoadError(
            error_payload("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}")
        ) from exc
    except Exception as exc:  # an error raised by the module's own top-level code
        raise HandlerLoadError(error_payload(type(exc).__name__, str(exc), _stack(exc, skip=0))) from exc
    func = getattr(module, func_name, None)
    if not callable(func):
        raise HandlerLoadError(
            error_payload("Runtime.HandlerNotFound", f"Handler '{func_name}' missing on module '{module_name}'")
        )
    return func  # type: ignore[no-any-return]


def call_handler(func: Handler, event_json: str, context: LambdaContext) -> tuple[str, bool]:
    """Run one invocation: returns (payload JSON text, errored).

    An exception is returned in Lambda's error shape and written to stdout as the runtime's
    ``[ERROR]`` log line, so it lands in the function's logs as on AWS.
    """
    try:
        event = json.loads(event_json)
    except ValueError as exc:
        return error_payload("Runtime.UnmarshalError", f"Unable to unmarshal input: {exc}"), True
    try:
        result = func(event, context)
    except Exception as exc:
        stack = _stack(exc, skip=1)  # drop this frame: the trace starts in the handler, as on AWS
        sys.stdout.write(f"[ERROR] {type(exc).__name__}: {exc}\nTraceback (most recent call last):\n{''.join(stack)}")
        sys.stdout.flush()
        return error_payload(type(exc).__name__, str(exc), stack, context.aws_request_id), True
    try:
        return json.dumps(result), False
    except (TypeError, ValueError) as exc:
        return error_payload("Runtime.MarshalError", f"Unable to marshal response: {exc}"), True


def _stack(exc: BaseException, skip: int) -> list[str]:
    return traceback.format_list(traceback.extract_tb(exc.__traceback__)[skip:])
