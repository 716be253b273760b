"""API Gateway REST (v1) invocation with Lambda proxy integrations, which moto does not do.

A WSGI middleware in front of moto's app serves LocalStack's URL form
``/restapis/<apiId>/<stage>/_user_request_/<path>``: it finds the API, stage, resource and method
in moto's in-process apigateway backend, builds the proxy event API Gateway sends, invokes the
function through moto's Lambda backend (so the installed LambdaRunner runs it) and maps the proxy
response back to HTTP. Every other request goes on to moto.

API Gateway invokes a function only if the function's resource policy allows it (an
``AWS::Lambda::Permission`` for ``apigateway.amazonaws.com`` whose SourceArn matches the method).
API Gateway's own limits apply: a request body over 10 MB gets ``413 {"message": "Request Too Long"}``
(gateway response REQUEST_TOO_LARGE) before any function runs, and an integration that has not answered
within 29 s gets ``504 {"message": "Endpoint request timed out"}`` (INTEGRATION_TIMEOUT) while the function
runs on, as on AWS.

A method whose authorization type is ``COGNITO_USER_POOLS`` runs its Cognito authorizer first
(``cognito.authorizer``): without a valid ID token of the authorizer's pools the answer is
``401 {"message": "Unauthorized"}`` and the function does not run; with one, its claims are in
``requestContext.authorizer.claims``.

A stage's throttling method settings (rate and burst) are enforced with a token bucket (``stage_throttle``):
beyond them the answer is ``429 {"message": "Too Many Requests"}`` before the authorizer or the function runs.

Every request to a stage counts in API Gateway's metrics (``AWS/ApiGateway`` ``Count``, ``4XXError``,
``5XXError``, ``Latency``, per ``ApiName`` and ``Stage``: ``cloudwatch.service_metrics``).

Not modelled: Lambda (custom) authorizers, authorization scopes, API keys, request validation, mapping
templates, non-proxy integrations, deployment snapshots (moto's live resource tree is served).
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from local_cloud.account import current_account_id
from local_cloud.apigateway.stage_throttle import StageThrottle
from local_cloud.cloudwatch import service_metrics
from local_cloud.cognito.authorizer import Denied, authorize
from local_cloud.iam.policies import resource_policy_allows
from local_cloud.iam.resources import function_arn as invoked_arn
from local_cloud.netutil import HEALTH_PATH
from local_cloud.wsgi_types import StartResponse, WSGIApplication, WSGIEnvironment

LOG = logging.getLogger(__name__)

DEFAULT_REGION = "us-east-1"
BODY_LIMIT_BYTES = 10 * 1024 * 1024
INTEGRATION_TIMEOUT_SECONDS = 29.0
_USER_REQUEST = re.compile(r"^/restapis/(?P<api>[^/]+)/(?P<stage>[^/]+)/_user_request_(?P<path>/.*)?$", re.DOTALL)
_LAMBDA_URI = re.compile(
    r"^arn:aws[a-z-]*:apigateway:(?P<region>[^:]+):lambda:path/[^/]+/functions/(?P<fn>.+)/invocations$"
)
_HOP_BY_HOP = {"connection", "keep-alive", "te", "transfer-encoding", "upgrade", "proxy-connection"}
_PROXY_RESPONSE_KEYS = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded", "cookies"}


class ApiGatewayMiddleware:
    def __init__(
        self,
        app: WSGIApplication,
        *,
        account_id: str | None = None,
        health: Callable[[dict[str, str]], dict[str, Any]] | None = None,
        integration_timeout_seconds: float = INTEGRATION_TIMEOUT_SECONDS,
    ):
        self.app = app
        self.integration_timeout_seconds = integration_timeout_seconds
        self._account_id = account_id  # None: the account moto serves (the local cloud sets it)
        # Served at HEALTH_PATH so `up`/`status` can tell our server from others: live figures, given the query.
        self.health = health
        self.throttle = StageThrottle()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        # WSGI gives the decoded path as latin-1; API Gateway decodes percent-escapes as UTF-8.
        path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace")
        if self.health is not None and path == HEALTH_PATH:
            figures = self.health(dict(parse_qsl(environ.get("QUERY_STRING", ""))))
            return _json(200, {"status": "running", **figures})(environ, start_response)
        match = _USER_REQUEST.match(path)
        if match is None:
            return self.app(environ, start_response)
        started = time.perf_counter()
        try:
            response = self.handle(Request(environ), match["api"], match["stage"], match["path"] or "/")
        except Exception:  # a bug here must look like AWS's 500, not take the server thread down
            LOG.exception("API Gateway invocation failed")
            response = _json(500, {"message": "Internal server error"})
        self._count(match["api"], match["stage"], response.status_code, (time.perf_counter() - started) * 1000)
        return response(environ, start_response)

    def _count(self, api_id: str, stage_name: str, status: int, latency_ms: float) -> None:
        """API Gateway's own metrics of a request to a stage that exists (AWS/ApiGateway, per API name and stage)."""
        found = self._find_api(api_id)
        if found is not None and found[1].stages.get(stage_name) is not None:
            region, api = found
            service_metrics.api_request(self.account_id, region, api.name, stage_name, status, latency_ms)

    @property
    def account_id(self) -> str:
        return self._account_id or current_account_id()

    def handle(self, request: Request, api_id: str, stage_name: str, path: str) -> Response:
        # The server has read the body already (http_handler): measuring it costs no extra read.
        if len(request.get_data(cache=True)) > BODY_LIMIT_BYTES:
            return _json(413, {"message": "Request Too Long"})
        found = self._find_api(api_id)
        if found is None:
            return _json(404, {"message": f"REST API {api_id} not found"})
        region, api = found
        stage = api.stages.get(stage_name)
        if stage is None:
            return _json(404, {"message": f"Stage {stage_name} not found in REST API {api_id}"})
        route = match_route(list(api.resources.values()), path)
        if route is None:
            return _missing_token()
        resource, path_params = route
        method = resource.resource_methods.get(request.method) or resource.resource_methods.get("ANY")
        if method is None:
            return _missing_token()
        integration = method.method_integration
        target = _LAMBDA_URI.match(getattr(integration, "uri", "") or "")
        if integration is None or integration.integration_type != "AWS_PROXY" or target is None:
            LOG.error("%s %s: only AWS_PROXY Lambda integrations are supported here", request.method, path)
            return _json(500, {"message": "Internal server error"})
        if not self.throttle.admit(api_id, stage, resource.get_path(), request.method):
            return _too_many_requests()
        authorizer_context: dict[str, Any] | None = None
        if method.authorization_type == "COGNITO_USER_POOLS":
            claims = self._authorize(api, method.authorizer_id, request)
            if isinstance(claims, Denied):
                LOG.info("%s %s: Unauthorized request (%s)", request.method, path, claims.reason)
                return _unauthorized()
            authorizer_context = {"claims": claims}
        event = proxy_event(
            request, api, region, self.account_id, stage_name, stage.variables, resource, path, path_params
        )
        if authorizer_context is not None:
            event["requestContext"]["authorizer"] = authorizer_context
        source_arn = f"arn:aws:execute-api:{region}:{self.account_id}:{api_id}/{stage_name}/{request.method}"
        source_arn += resource.get_path()
        if not self._may_invoke(target["fn"], source_arn):
            # API Gateway's answer when the function's policy has no AWS::Lambda::Permission for it.
            LOG.error("Execution failed due to configuration error: Invalid permissions on Lambda function")
            return _json(500, {"message": "Internal server error"})
        return self._invoke(target["fn"], event)

    def _find_api(self, api_id: str) -> tuple[str, Any] | None:
        from moto.apigateway.models import apigateway_backends

        account = apigateway_backends[self.account_id]
        # LocalStack's URL has no region: try the default, then every region that has APIs.
        for region in [DEFAULT_REGION, *(r for r in list(account.keys()) if r != DEFAULT_REGION)]:
            api = account[region].apis.get(api_id)
            if api is not None:
                return region, api
        return None

    def _authorize(self, api: Any, authorizer_id: str | None, request: Request) -> dict[str, str] | Denied:
        authorizer = api.authorizers.get(authorizer_id) if authorizer_id else None
        if authorizer is None or str(authorizer.type).upper() != "COGNITO_USER_POOLS":
            return Denied(f"authorizer {authorizer_id} is not a Cognito user-pool authorizer of this API")
        return authorize(authorizer, request.headers, self.account_id)

    def _may_invoke(self, function_arn: str, source_arn: str) -> bool:
        """Whether the function's resource policy lets API Gateway invoke it for this method."""
        from moto.awslambda.utils import get_backend

        region = function_arn.split(":")[3] if function_arn.startswith("arn:") else DEFAULT_REGION
        try:
            function = get_backend(self.account_id, region).get_function(function_arn)
        except Exception:  # no such function: the invocation reports it
            return True
        return resource_policy_allows(
            function.policy.statements,
            service="apigateway.amazonaws.com",
            action="lambda:InvokeFunction",
            source_arn=source_arn,
            source_account=self.account_id,
            resource=invoked_arn(function_arn, region, self.account_id),  # the alias, when the integration names it
        )

    def _invoke(self, function_arn: str, event: dict[str, Any]) -> Response:
        from moto.awslambda.utils import get_backend

        region = function_arn.split(":")[3] if function_arn.startswith("arn:") else DEFAULT_REGION
        backend = get_backend(self.account_id, region)
        response_headers: dict[str, Any] = {}
        try:

            def invoke() -> Any:
                return backend.invoke(function_arn, None, json.dumps(event), {}, response_headers)

            # A function whose own timeout ends first needs no watch: the runner stops it in time.
            if float(backend.get_function(function_arn).timeout) > self.integration_timeout_seconds:
                payload = _IntegrationCall(invoke).within(self.integration_timeout_seconds)
            else:
                payload = invoke()
        except IntegrationTimedOut:
            LOG.warning("%s did not answer within %.0f s", function_arn, self.integration_timeout_seconds)
            return _json(504, {"message": "Endpoint request timed out"})
        except Exception:
            LOG.exception("invoking %s failed", function_arn)
            return _json(502, {"message": "Internal server error"})
        if "x-amz-function-error" in response_headers:
            LOG.warning("Lambda %s failed: %s", function_arn, payload)
            return _json(502, {"message": "Internal server error"})
        try:
            return proxy_response(payload or b"null")
        except MalformedProxyResponse as exc:
            LOG.warning("Execution failed due to configuration error: Malformed Lambda proxy response (%s)", exc)
            return _json(502, {"message": "Internal server error"})


class IntegrationTimedOut(Exception):
    pass


class _IntegrationCall:
    """A Lambda invocation that API Gateway stops waiting for after its integration timeout."""

    def __init__(self, invoke: Callable[[], Any]) -> None:
        self._invoke = invoke
        self._done = threading.Event()
        self._result: Any = None
        self._error: BaseException | None = None

    def within(self, seconds: float) -> Any:
        threading.Thread(target=self._run_in_background, name="apigateway-integration", daemon=True).start()
        if not self._done.wait(seconds):
            raise IntegrationTimedOut()  # the function runs on, as on AWS
        if self._error is not None:
            raise self._error
        return self._result

    def _run_in_background(self) -> None:
        try:
            self._result = self._invoke()
        except BaseException as exc:  # handed to the waiting request thread
            self._error = exc
        finally:
            self._done.set()


# -- routing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Segment:
    kind: int  # 2 literal, 1 {param}, 0 {greedy+}: a more specific route wins, as on AWS
    text: str


def _template(resource_path: str) -> list[_Segment]:
    segments = []
    for part in [p for p in resource_path.split("/") if p]:
        if part.startswith("{") and part.endswith("+}"):
            segments.append(_Segment(0, part[1:-2]))
        elif part.startswith("{") and part.endswith("}"):
            segments.append(_Segment(1, part[1:-1]))
        else:
            segments.append(_Segment(2, part))
    return segments


def match_route(resources: list[Any], path: str) -> tuple[Any, dict[str, str]] | None:
    """The resource whose path template matches ``path`` most specifically, and its path parameters."""
    parts = [p for p in path.split("/") if p]
    best: tuple[list[int], Any, dict[str, str]] | None = None
    for resource in resources:
        template = _template(resource.get_path())
        params = _match(template, parts)
        if params is None:
            continue
        score = [s.kind for s in template]
        if best is None or score > best[0]:
            best = (score, resource, params)
    return None if best is None else (best[1], best[2])


def _match(template: list[_Segment], parts: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for i, segment in enumerate(template):
        if segment.kind == 0:  # greedy: one or more remaining segments, only as the last template part
            if i != len(template) - 1 or i >= len(parts):
                return None
            params[segment.text] = "/".join(parts[i:])
            return params
        if i >= len(parts):
            return None
        if segment.kind == 2 and segment.text != parts[i]:
            return None
        if segment.kind == 1:
            params[segment.text] = parts[i]
    return params if len(parts) == len(template) else None


# -- the proxy event and response ------------------------------------------------------------------


def proxy_event(
    request: Request,
    api: Any,
    region: str,
    account_id: str,
    stage: str,
    stage_variables: dict[str, str],
    resource: Any,
    path: str,
    path_params: dict[str, str],
) -> dict[str, Any]:
    """The event API Gateway (REST, v1) sends a Lambda proxy integration."""
    now = time.time()
    request_id = str(uuid.uuid4())
    source_ip = request.remote_addr or "127.0.0.1"
    headers = Headers([(k, v) for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP])
    headers.setdefault("X-Forwarded-For", source_ip)
    headers.setdefault("X-Forwarded-Proto", request.scheme)
    headers.setdefault("X-Forwarded-Port", str(request.environ.get("SERVER_PORT", "")))
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers.items():
        multi_headers.setdefault(name, []).append(value)
    args = request.args
    body_bytes = request.get_data(cache=False)
    binary = _is_binary(request.mimetype, api.binaryMediaTypes)
    if not body_bytes:
        body = None
    elif binary:
        body = base64.b64encode(body_bytes).decode()
    else:
        body = body_bytes.decode("utf-8", "replace")
    resource_path = resource.get_path()
    return {
        "resource": resource_path,
        "path": path,
        "httpMethod": request.method,
        "headers": {name: values[-1] for name, values in multi_headers.items()} or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {k: args.getlist(k)[-1] for k in args} or None,
        "multiValueQueryStringParameters": {k: args.getlist(k) for k in args} or None,
        "pathParameters": path_params or None,
        "stageVariables": dict(stage_variables) or None,
        "requestContext": {
            "resourceId": resource.id,
            "resourcePath": resource_path,
            "httpMethod": request.method,
            "extendedRequestId": request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "path": f"/{stage}{path}",
            "accountId": account_id,
            "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "stage": stage,
            "domainPrefix": api.id,
            "requestTimeEpoch": int(now * 1000),
            "requestId": request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "sourceIp": source_ip,
                "principalOrgId": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": request.headers.get("User-Agent"),
                "user": None,
            },
            "domainName": request.host,
            "apiId": api.id,
        },
        "body": body,
        "isBase64Encoded": bool(body_bytes) and binary,
    }


class MalformedProxyResponse(ValueError):
    pass


def proxy_response(payload: bytes | str) -> Response:
    """Map a Lambda proxy response to HTTP, rejecting what API Gateway rejects."""
    try:
        result = json.loads(payload)
    except ValueError as exc:
        raise MalformedProxyResponse("not JSON") from exc
    if not isinstance(result, dict):
        raise MalformedProxyResponse("not a JSON object")
    extra = set(result) - _PROXY_RESPONSE_KEYS
    if extra:
        raise MalformedProxyResponse(f"unexpected keys {sorted(extra)}")
    try:
        status = int(result["statusCode"])
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedProxyResponse("statusCode is missing or not an integer") from exc
    body = result.get("body")
    if body is not None and not isinstance(body, str):
        raise MalformedProxyResponse("body is not a string")
    headers = Headers()
    single = result.get("headers") or {}
    multi = result.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise MalformedProxyResponse("headers are not objects")
    for name, value in single.items():
        if name not in multi:  # AWS: for a name in both, multiValueHeaders wins
            headers.add(name, _header_value(value))
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedProxyResponse("multiValueHeaders values are not lists")
        for value in values:
            headers.add(name, _header_value(value))
    data: bytes = b""
    if body is not None:
        data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    if "Content-Type" not in headers:
        headers["Content-Type"] = "application/json"
    headers["x-amzn-RequestId"] = str(uuid.uuid4())
    return Response(data, status=status, headers=headers)


def _header_value(value: Any) -> str:
    if isinstance(value, dict | list):
        raise MalformedProxyResponse("a header value is not a scalar")
    return "true" if value is True else "false" if value is False else str(value)


def _is_binary(mimetype: str, binary_media_types: list[str]) -> bool:
    for pattern in binary_media_types or []:
        pattern = pattern.replace("~1", "/")  # as stored when set through a patch operation
        if pattern == "*/*" or pattern == mimetype:
            return True
        if pattern.endswith("/*") and mimetype.startswith(pattern[:-1]):
            return True
    return False


def _too_many_requests() -> Response:
    response = _json(429, {"message": "Too Many Requests"})
    response.headers["x-amzn-ErrorType"] = "TooManyRequestsException"
    return response


def _unauthorized() -> Response:
    response = _json(401, {"message": "Unauthorized"})
    response.headers["x-amzn-ErrorType"] = "UnauthorizedException"
    return response


def _missing_token() -> Response:
    response = _json(403, {"message": "Missing Authentication Token"})
    response.headers["x-amzn-ErrorType"] = "MissingAuthenticationTokenException"
    return response


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")
