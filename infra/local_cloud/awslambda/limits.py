"""Lambda's payload limits, enforced with AWS's error names (moto pinned: 5.2.5): 6 MB per synchronous
invocation request, and per response.

- An ``Invoke`` (RequestResponse) whose payload is over 6291456 bytes is refused with
  ``RequestEntityTooLargeException`` (413), as AWS answers "Request must be smaller than 6291456 bytes for the
  InvokeFunction operation".
- A response over 6291556 bytes becomes AWS's function error ``Function.ResponseSizeTooLarge`` (Invoke answers
  200 with ``X-Amz-Function-Error: Unhandled``). moto checks this only in its HTTP response handler, and a
  little early (``sys.getsizeof(payload) > 6000000``); here it is checked exactly on every path (HTTP, Step
  Functions' in-process client, API Gateway). Left as it is: over HTTP, moto's own check still refuses a
  response of 6,000,000 to 6,291,556 bytes, which AWS would return.

The seam for both is ``LambdaBackend.invoke``: every synchronous invocation goes through it.
"""

from __future__ import annotations

import json
from typing import Any

from local_cloud.seams import Installation, replace, require_signature

INVOKE_REQUEST_LIMIT_BYTES = 6_291_456
INVOKE_RESPONSE_LIMIT_BYTES = 6_291_556


def _size(data: Any) -> int:
    if data is None:
        return 0
    return len(data.encode("utf-8") if isinstance(data, str) else bytes(data))


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
