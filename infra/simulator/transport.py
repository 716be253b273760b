"""DynamoDB calls answered by moto's backend in this process, with no HTTP emulation.

botocore still validates and serialises each request and parses each answer with the service's model; only the
part in between (signing, moto's URL matching over every service, the `responses` mock, the werkzeug request
moto's server builds) is skipped: the request's JSON body is parsed by moto's own request parser for the
operation and handed to moto's `DynamoHandler`, set up as moto sets it up for a signed JSON request, whose
`call_action` (with the local cloud's DynamoDB seams around it) answers. The hook is the narrowest seam botocore
offers for it: a `before-call` handler that returns a response is used as the answer.

botocore's endpoint rules are not run either: they choose the URL (and the signing scheme) of a request that is
never sent, at every call: 4.8 % of a schedule's instructions (seeds 1 to 8, 2026-12-07). The client takes the
path botocore takes for a service without rules, its configured endpoint."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from botocore.awsrequest import AWSResponse
from moto.core.parse import JSONParser, RequestDict
from moto.core.utils import get_service_model
from moto.dynamodb.responses import DynamoHandler
from moto.utilities.utils import get_partition
from werkzeug.datastructures import Headers, MultiDict

from local_cloud.seams import replace

# moto takes the account and region from the signature's scope.
_AUTHORIZATION = "AWS4-HMAC-SHA256 Credential=test/20260101/{region}/dynamodb/aws4_request"
ACCOUNT = "123456789012"  # moto's default account: what the test access key maps to

Before = Callable[[str], None]
After = Callable[[str, bytes, int], None]


def install(client: Any, before: Before, after: After) -> None:
    """Answer `client`'s DynamoDB calls in process. `before(operation)` runs first (the scheduler's atomic point:
    it may hand control to another actor before this call takes effect); `after(operation, request body,
    status)` once it has (the simulated table stream reads the outbox's writes there)."""
    parser = client._response_parser
    url = f"{client.meta.endpoint_url}/"
    target_prefix = client.meta.service_model.metadata["targetPrefix"]
    region = client.meta.region_name
    authorization = _AUTHORIZATION.format(region=region)

    def answer(model: Any, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        before(model.name)
        headers = {
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"{target_prefix}.{model.name}",
            "Authorization": authorization,
        }
        handler = _handler(model.name, params["body"], headers, url, region)
        status, answer_headers, body = handler.call_action()
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
    replace(client, "_ruleset_resolver", None)  # raises SeamChanged if botocore renames it


def _handler(operation: str, body: bytes, headers: dict[str, str], url: str, region: str) -> DynamoHandler:
    """A DynamoHandler in the state moto's `setup_class` leaves it in for this signed JSON POST (what it would
    read from the werkzeug request, read here from the request itself), its parameters parsed by moto's parser."""
    handler = DynamoHandler()
    text = body.decode("utf-8")
    handler.body = handler.raw_body = text
    handler.headers = headers
    handler.querystring = handler.data = {}
    handler.uri, handler.path, handler.raw_path, handler.method = url, "/", "/", "POST"
    handler.uri_match = {}
    handler.region, handler.partition = region, get_partition(region)
    handler.response_headers = {"server": "amazon.com"}
    handler.access_key, handler.current_account = "test", ACCOUNT
    request = RequestDict(
        method="POST", values=MultiDict(), headers=Headers(headers), body=body, url_path="/", url_params={}
    )
    handler.params = _parser(operation).parse(request)
    return handler


@lru_cache(maxsize=64)
def _parser(operation: str) -> JSONParser:
    """moto's request parser for one DynamoDB operation (the one its `parse_parameters` builds per request)."""
    operation_model = get_service_model("dynamodb").operation_model(operation)
    return JSONParser(operation_model, map_type=DynamoHandler.PROTOCOL_PARSER_MAP_TYPE)
