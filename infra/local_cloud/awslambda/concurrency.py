"""Reserved concurrency, enforced as Lambda does, at ``LambdaBackend.invoke``: a function with
``ReservedConcurrentExecutions`` (moto stores it, and ignores it) runs at most that many invocations at once; one
more is refused with Lambda's ``TooManyRequestsException`` (HTTP 429, reason
``ReservedFunctionConcurrentInvocationLimitExceeded``) before its handler starts. A reservation of 0 refuses every
invocation, as on AWS. Each refusal counts in the metric ``AWS/Lambda`` ``Throttles``. Step Functions names
such a refusal ``Lambda.TooManyRequestsException``
(``stepfunctions.lambda_errors``).
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from local_cloud.cloudwatch import service_metrics
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
        # A reservation is the function's, whichever version or alias is invoked: it is kept on $LATEST, and every
        # version's invocations count against it.
        fn = self.get_function(self.get_function(function_name, qualifier).function_name)
        reserved = getattr(fn, "reserved_concurrency", None)
        arn = str(fn.function_arn)
        if not gate.enter(arn, None if reserved is None else int(reserved)):
            service_metrics.lambda_event(arn, "Throttles")
            raise _too_many_requests()
        try:
            return original(self, function_name, qualifier, body, headers, response_headers)
        finally:
            gate.leave(arn)

    return Installation([replace(LambdaBackend, "invoke", invoke)])
