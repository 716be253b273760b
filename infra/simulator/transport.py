"""DynamoDB calls answered by moto's backend in this process, with no HTTP emulation.

botocore still validates and serialises each request and parses each answer with the service's model; only the
part in between (signing, moto's URL matching over every service, the `responses` mock) is skipped: the request's
JSON body goes straight to moto's `DynamoHandler`, the same object moto's server hands it to. The hook is the
narrowest seam botocore offers for it: a `before-call` handler that returns a response is used as the answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.awsrequest import AWSResponse
from moto.core.request import Request
from moto.dynamodb.responses import DynamoHandler

# moto takes the account and region from the signature's scope.
_AUTHORIZATION = "AWS4-HMAC-SHA256 Credential=test/20260101/{region}/dynamodb/aws4_request"


Before = Callable[[str], None]
After = Callable[[str, bytes, int], None]


def install(client: Any, before: Before, after: After) -> None:
    """Answer `client`'s DynamoDB calls in process. `before(operation)` runs first (the scheduler's atomic point:
    it may hand control to another actor before this call takes effect); `after(operation, request body,
    status)` once it has (the simulated table stream reads the outbox's writes there)."""
    parser = client._response_parser
    url = f"{client.meta.endpoint_url}/"
    target_prefix = client.meta.service_model.metadata["targetPrefix"]
    authorization = _AUTHORIZATION.format(region=client.meta.region_name)

    def answer(model: Any, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        before(model.name)
        headers = {
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"{target_prefix}.{model.name}",
            "Authorization": authorization,
        }
        request = Request.from_primitives("POST", url, headers, params["body"])
        status, answer_headers, body = DynamoHandler().dispatch(request, url, headers)
        raw = body.encode() if isinstance(body, str) else body
        http = AWSResponse(url, status, answer_headers, None)
        http._content = raw
        response = {"status_code": status, "headers": http.headers, "body": raw}
        parsed = parser.parse(response, model.output_shape)
        if status >= 300:  # the error's modeled fields (CancellationReasons...), as botocore's endpoint adds them
            error_shape = model.service_model.shape_for_error_code(parsed.get("Error", {}).get("Code"))
            if error_shape is not None:
                parsed.update(parser.parse(response, error_shape))
        after(model.name, params["body"], status)
        return http, parsed

    client.meta.events.register_first(f"before-call.{client.meta.service_model.service_id.hyphenize()}", answer)
