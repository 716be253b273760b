"""API Gateway REST invocation at LocalStack's URL form, against a running server. The API is built
with plain boto3 calls (not the deployer), as a user of the local cloud would."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from werkzeug.test import Client

from local_cloud.apigateway.rest_api import BODY_LIMIT_BYTES, ApiGatewayMiddleware, match_route, proxy_response
from local_cloud.server import LocalCloud
from tests.infra.conftest import make_zip

API_CODE = make_zip(
    {
        "api.py": """
        import base64, json

        def echo(event, context):
            return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
                    "body": json.dumps(event)}

        def custom(event, context):
            return {
                "statusCode": 201,
                "headers": {"X-Single": "one", "Location": "/orders/o-1"},
                "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
                "body": json.dumps({"created": True}),
            }

        def binary(event, context):
            return {"statusCode": 200, "headers": {"Content-Type": "application/octet-stream"},
                    "body": base64.b64encode(bytes(range(256))).decode(), "isBase64Encoded": True}

        def boom(event, context):
            raise RuntimeError("handler bug")

        def malformed(event, context):
            return {"status": 200, "body": {"not": "a string"}}

        def unpermitted(event, context):
            open("/tmp/local-cloud-unpermitted-ran", "w").close()
            return {"statusCode": 200, "body": "ran"}

        def slow(event, context):
            import time
            query = event.get("queryStringParameters") or {}
            time.sleep(float(query.get("seconds", "2")))
            if "marker" in query:  # a file the test can see: the function ran to its end
                open(query["marker"], "w").close()
            return {"statusCode": 200, "body": "finally"}
        """
    }
)


@dataclass
class Api:
    url: str  # .../restapis/<id>/<stage>/_user_request_
    api_id: str


@pytest.fixture(scope="module")
def api(cloud: LocalCloud, aws: Callable[[str], Any], role_arn: str) -> Api:
    lam, apigw = aws("lambda"), aws("apigateway")
    arns = {
        name: lam.create_function(
            FunctionName=f"api-{name}",
            Runtime="python3.11",
            Role=role_arn,
            Handler=f"api.{name}",
            Code={"ZipFile": API_CODE},
            Timeout=5 if name == "slow" else 3,
        )["FunctionArn"]
        for name in ("echo", "custom", "binary", "boom", "malformed", "slow", "unpermitted")
    }
    api_id = apigw.create_rest_api(name="test-api")["id"]
    root = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    created: dict[str, str] = {"/": str(root)}

    def resource(path: str) -> str:
        if path not in created:
            parent, _, part = path.rpartition("/")
            made = apigw.create_resource(restApiId=api_id, parentId=resource(parent or "/"), pathPart=part)
            created[path] = str(made["id"])
        return created[path]

    def route(path: str, method: str, function: str, *, permitted: bool = True) -> None:
        resource_id = resource(path)
        account = arns[function].split(":")[4]
        if permitted:  # what SAM's AWS::Lambda::Permission for an Api event says
            lam.add_permission(
                FunctionName=arns[function],
                StatementId=f"api-{method}-{resource_id}",
                Action="lambda:InvokeFunction",
                Principal="apigateway.amazonaws.com",
                SourceArn=f"arn:aws:execute-api:us-east-1:{account}:{api_id}/*/{method.replace('ANY', '*')}{path}",
            )
        apigw.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=method, authorizationType="NONE")
        apigw.put_integration(
            restApiId=api_id,
            resourceId=resource_id,
            httpMethod=method,
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arns[function]}/invocations",
        )

    route("/orders", "POST", "echo")
    route("/orders/{orderId}", "GET", "echo")
    route("/orders/special", "GET", "custom")
    route("/files/{proxy+}", "ANY", "echo")
    route("/binary", "GET", "binary")
    route("/boom", "GET", "boom")
    route("/malformed", "GET", "malformed")
    route("/unpermitted", "GET", "unpermitted", permitted=False)
    route("/slow", "GET", "slow")
    apigw.create_deployment(restApiId=api_id, stageName="prod", variables={"env": "test"})
    return Api(f"{cloud.endpoint_url}/restapis/{api_id}/prod/_user_request_", api_id)


def test_proxy_event_shape(api: Api) -> None:
    response = requests.post(
        f"{api.url}/orders?tag=a&tag=b&single=1",
        json={"customerId": "c-42"},
        headers={"Idempotency-Key": "key-1"},
        timeout=30,
    )

    assert response.status_code == 200
    event = response.json()
    assert set(event) == {
        "resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters",
        "multiValueQueryStringParameters", "pathParameters", "stageVariables", "requestContext", "body",
        "isBase64Encoded",
    }  # fmt: skip
    assert event["resource"] == "/orders"
    assert event["path"] == "/orders"
    assert event["httpMethod"] == "POST"
    assert event["headers"]["Idempotency-Key"] == "key-1"
    assert event["headers"]["Content-Type"] == "application/json"
    assert event["multiValueHeaders"]["Idempotency-Key"] == ["key-1"]
    assert event["queryStringParameters"] == {"tag": "b", "single": "1"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"], "single": ["1"]}
    assert event["pathParameters"] is None
    assert event["stageVariables"] == {"env": "test"}
    assert json.loads(event["body"]) == {"customerId": "c-42"}
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["resourcePath"] == "/orders"
    assert context["httpMethod"] == "POST"
    assert context["path"] == "/prod/orders"
    assert context["stage"] == "prod"
    assert context["apiId"] == api.api_id
    assert context["accountId"] == "000000000000"  # LocalStack's account, as every ARN here
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert isinstance(context["requestTimeEpoch"], int)
    assert context["requestId"]


def test_path_parameters_and_no_body(api: Api) -> None:
    event = requests.get(f"{api.url}/orders/o-123", timeout=30).json()

    assert event["resource"] == "/orders/{orderId}"
    assert event["path"] == "/orders/o-123"
    assert event["pathParameters"] == {"orderId": "o-123"}
    assert event["queryStringParameters"] is None
    assert event["body"] is None


def test_literal_route_beats_parameter_and_response_passthrough(api: Api) -> None:
    response = requests.get(f"{api.url}/orders/special", timeout=30)

    assert response.status_code == 201
    assert response.json() == {"created": True}
    assert response.headers["X-Single"] == "one"
    assert response.headers["Location"] == "/orders/o-1"
    assert response.raw.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    assert response.headers["Content-Type"] == "application/json"  # API Gateway's default


def test_greedy_proxy_and_any_method(api: Api) -> None:
    event = requests.delete(f"{api.url}/files/a/b/c.txt", timeout=30).json()

    assert event["resource"] == "/files/{proxy+}"
    assert event["httpMethod"] == "DELETE"
    assert event["pathParameters"] == {"proxy": "a/b/c.txt"}


def test_base64_response_body(api: Api) -> None:
    response = requests.get(f"{api.url}/binary", timeout=30)
    assert response.status_code == 200
    assert response.content == bytes(range(256))


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nowhere"), ("GET", "/files"), ("PUT", "/orders"), ("GET", "/orders/o-1/extra")],
)
def test_unknown_route_or_method_is_403(api: Api, method: str, path: str) -> None:
    response = requests.request(method, f"{api.url}{path}", timeout=30)
    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}


@pytest.mark.parametrize("path", ["/boom", "/malformed"])
def test_handler_error_or_malformed_response_is_502(api: Api, path: str) -> None:
    response = requests.get(f"{api.url}{path}", timeout=30)
    assert response.status_code == 502
    assert response.json() == {"message": "Internal server error"}


def test_unknown_api_or_stage_is_404(cloud: LocalCloud, api: Api) -> None:
    unknown_api = requests.get(f"{cloud.endpoint_url}/restapis/nope123/prod/_user_request_/orders", timeout=30)
    unknown_stage = requests.get(api.url.replace("/prod/", "/staging/") + "/orders/o-1", timeout=30)
    assert unknown_api.status_code == 404
    assert unknown_stage.status_code == 404
    assert "message" in unknown_api.json()


def test_other_requests_still_reach_moto(cloud: LocalCloud, aws: Callable[[str], Any], api: Api) -> None:
    apis = aws("apigateway").get_rest_apis()["items"]
    assert api.api_id in [a["id"] for a in apis]


# -- pure functions ------------------------------------------------------------------------------------


@dataclass
class FakeResource:
    path: str

    def get_path(self) -> str:
        return self.path


def test_route_priority() -> None:
    resources = [FakeResource(p) for p in ["/", "/{proxy+}", "/orders", "/orders/{id}", "/orders/latest"]]

    def matched(path: str) -> tuple[str, dict[str, str]] | None:
        found = match_route(resources, path)  # type: ignore[arg-type]
        return None if found is None else (found[0].path, found[1])

    assert matched("/") == ("/", {})
    assert matched("/orders") == ("/orders", {})
    assert matched("/orders/") == ("/orders", {})
    assert matched("/orders/latest") == ("/orders/latest", {})
    assert matched("/orders/o-1") == ("/orders/{id}", {"id": "o-1"})
    assert matched("/orders/o-1/items") == ("/{proxy+}", {"proxy": "orders/o-1/items"})
    assert match_route([FakeResource("/orders")], "/other") is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[]",
        b'{"body": "x"}',
        b'{"statusCode": "abc"}',
        b'{"statusCode": 200, "body": {}}',
        b'{"statusCode": 200, "extra": 1}',
    ],
)
def test_malformed_proxy_responses_are_rejected(payload: bytes) -> None:
    from local_cloud.apigateway.rest_api import MalformedProxyResponse

    with pytest.raises(MalformedProxyResponse):
        proxy_response(payload)


def test_proxy_response_merges_headers() -> None:
    response = proxy_response(
        json.dumps(
            {
                "statusCode": 204,
                "headers": {"X-A": "1", "X-B": "single"},
                "multiValueHeaders": {"X-B": ["m1", "m2"]},
                "body": base64.b64encode(b"\x00\x01").decode(),
                "isBase64Encoded": True,
            }
        )
    )
    assert response.status_code == 204
    assert response.headers.getlist("X-A") == ["1"]
    assert response.headers.getlist("X-B") == ["m1", "m2"]  # multiValueHeaders wins, as on AWS
    assert response.get_data() == b"\x00\x01"


def test_a_function_without_a_lambda_permission_is_not_invoked(api: Api) -> None:
    # Given a method whose function grants API Gateway no AWS::Lambda::Permission
    marker = Path("/tmp/local-cloud-unpermitted-ran")
    marker.unlink(missing_ok=True)
    # When it is called
    response = requests.get(f"{api.url}/unpermitted", timeout=30)
    # Then API Gateway answers as AWS does for invalid permissions, and the function never ran
    assert response.status_code == 500
    assert response.json() == {"message": "Internal server error"}
    assert not marker.exists()


# -- API Gateway's limits ---------------------------------------------------------------------------------------


def test_a_body_over_10_mb_is_refused_before_the_function_runs(api: Api) -> None:
    too_long = requests.post(f"{api.url}/orders", data=b"x" * (BODY_LIMIT_BYTES + 1), timeout=60)
    assert too_long.status_code == 413
    assert too_long.json() == {"message": "Request Too Long"}

    # Under 10 MB API Gateway passes the body on, and Lambda's own 6 MB request limit applies to the event.
    over_lambda_limit = requests.post(f"{api.url}/orders", data=b"x" * 7_000_000, timeout=60)
    assert over_lambda_limit.status_code == 502
    assert over_lambda_limit.json() == {"message": "Internal server error"}
    within_both = requests.post(f"{api.url}/orders", data=b"x" * 5_000_000, timeout=60)
    assert within_both.status_code == 200
    assert len(within_both.json()["body"]) == 5_000_000


def test_an_integration_slower_than_the_timeout_gets_504_and_runs_on(api: Api, tmp_path: Path) -> None:
    # The same middleware as the server's, with a 1 s integration timeout instead of 29 s (the function takes 4 s).
    impatient = Client(ApiGatewayMiddleware(_not_found, integration_timeout_seconds=1.0))
    finished = tmp_path / "finished"
    started = time.monotonic()
    response = impatient.get(
        f"/restapis/{api.api_id}/prod/_user_request_/slow", query_string={"seconds": "4", "marker": str(finished)}
    )
    assert response.status_code == 504
    assert response.get_json() == {"message": "Endpoint request timed out"}
    assert time.monotonic() - started >= 1.0  # not before the timeout (a busy machine only adds to it)
    assert not finished.exists()  # answered while the function was still running: API Gateway does not wait

    # The server's 29 s: the same function answers.
    patient = requests.get(f"{api.url}/slow", timeout=60)
    assert (patient.status_code, patient.text) == (200, "finally")
    # And the call that timed out ran on to its end, as on AWS.
    deadline = time.monotonic() + 30
    while not finished.exists():
        assert time.monotonic() < deadline, "the function whose call timed out never finished"
        time.sleep(0.05)


def _not_found(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("404 Not Found", [])
    return [b""]


# -- stage throttling --------------------------------------------------------------------------------------------


def test_a_stage_beyond_its_burst_answers_429_before_the_function_runs(api: Api, aws: Callable[[str], Any]) -> None:
    # Given a stage that lets 2 requests through at once and then 1 a second
    apigw = aws("apigateway")
    deployment = apigw.get_stage(restApiId=api.api_id, stageName="prod")["deploymentId"]
    apigw.create_stage(restApiId=api.api_id, stageName="throttled", deploymentId=deployment)
    apigw.update_stage(
        restApiId=api.api_id,
        stageName="throttled",
        patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "1"},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "2"},
        ],
    )
    url = api.url.replace("/prod/", "/throttled/")
    marker = Path("/tmp/local-cloud-unpermitted-ran")
    # When 3 requests come at once
    statuses = [requests.get(f"{url}/orders/o-{n}", timeout=30).status_code for n in range(2)]
    marker.unlink(missing_ok=True)
    refused = requests.get(f"{url}/unpermitted", timeout=30)
    # Then the third gets AWS's 429 and its function never ran; other stages are not limited by this one
    assert statuses == [200, 200]
    assert refused.status_code == 429
    assert refused.json() == {"message": "Too Many Requests"}
    assert refused.headers["x-amzn-ErrorType"] == "TooManyRequestsException"
    assert not marker.exists()
    assert requests.get(f"{api.url}/orders/o-1", timeout=30).status_code == 200
    # And a second later the bucket holds one token again
    time.sleep(1.1)
    assert requests.get(f"{url}/orders/o-3", timeout=30).status_code == 200
    assert requests.get(f"{url}/orders/o-4", timeout=30).status_code == 429
