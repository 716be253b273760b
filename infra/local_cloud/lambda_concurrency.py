"""Reserved concurrency, enforced as Lambda does, and the error name Step Functions gives a refused invocation.

1. ``LambdaBackend.invoke``: a function with ``ReservedConcurrentExecutions`` (moto stores it, and ignores it)
   runs at most that many invocations at once; one more is refused with Lambda's
   ``TooManyRequestsException`` (HTTP 429, reason ``ReservedFunctionConcurrentInvocationLimitExceeded``)
   before its handler starts. A reservation of 0 refuses every invocation, as on AWS.
2. ``StateTaskLambda._from_error``: when the Invoke call of a Task whose Resource is a function ARN fails
   (a client error, not a function error), AWS Step Functions names the error ``Lambda.<error code>``
   (``Lambda.TooManyRequestsException``, ``Lambda.ServiceException``, ...), which is what the state machine's
   Retry matches; moto names every such failure ``Exception``.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from botocore.exceptions import ClientError

from local_cloud.seams import Installation, replace


def _too_many_requests() -> Exception:
    from moto.core.exceptions import JsonRESTError

    class TooManyRequestsException(JsonRESTError):
        code = 429

        def __init__(self) -> None:
            super().__init__("TooManyRequestsException", "Rate Exceeded.")
            self.description = (
                '{"Reason": "ReservedFunctionConcurrentInvocationLimitExceeded", '
                '"Type": "User", "message": "Rate Exceeded.", "__type": "TooManyRequestsException"}'
            )

    return TooManyRequestsException()


class ConcurrencyGate:
    """Invocations in flight per function; a thread-safe count (the server runs requests in threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: Counter[str] = Counter()

    def enter(self, function_arn: str, reserved: int | None) -> bool:
        with self._lock:
            if reserved is not None and self._running[function_arn] >= reserved:
                return False
            self._running[function_arn] += 1
            return True

    def leave(self, function_arn: str) -> None:
        with self._lock:
            self._running[function_arn] -= 1
            if self._running[function_arn] <= 0:
                del self._running[function_arn]


def install_reserved_concurrency(gate: ConcurrencyGate | None = None) -> Installation:
    from moto.awslambda.models import LambdaBackend

    gate = gate or ConcurrencyGate()
    original = LambdaBackend.invoke

    def invoke(
        self: Any, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any
    ) -> Any:
        fn = self.get_function(function_name, qualifier)
        reserved = getattr(fn, "reserved_concurrency", None)
        arn = str(fn.function_arn)
        if not gate.enter(arn, None if reserved is None else int(reserved)):
            raise _too_many_requests()
        try:
            return original(self, function_name, qualifier, body, headers, response_headers)
        finally:
            gate.leave(arn)

    return Installation([replace(LambdaBackend, "invoke", invoke)])


def install_lambda_error_names() -> Installation:
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import StateTaskLambda

    original = StateTaskLambda._from_error

    def _from_error(self: Any, env: Any, ex: Exception) -> Any:
        failure: Any = original(self, env, ex)
        if isinstance(ex, ClientError):
            name = f"Lambda.{ex.response.get('Error', {}).get('Code') or 'ServiceException'}"
            failure.error_name = CustomErrorName(name)
            details = failure.event_details.get("lambdaFunctionFailedEventDetails") if failure.event_details else None
            if details is not None:
                details["error"] = name
        return failure

    return Installation([replace(StateTaskLambda, "_from_error", _from_error)])


def install_all() -> Installation:
    parts = [install_reserved_concurrency(), install_lambda_error_names()]
    return Installation([part.uninstall for part in parts])
