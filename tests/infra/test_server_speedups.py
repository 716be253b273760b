"""The server's speed-ups seen through a running LocalCloud: kept-alive HTTP connections and the Step
Functions interpreter's in-process Lambda client answer as before."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local_cloud.server import LocalCloud
from local_cloud.stepfunctions.direct_lambda import DirectLambdaClient
from tests.infra.conftest import ROLE_POLICY, make_zip

LIST_TABLES = {
    "X-Amz-Target": "DynamoDB_20120810.ListTables",
    "Content-Type": "application/x-amz-json-1.0",
    "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=host, Signature=x",
}


# -- keep-alive ----------------------------------------------------------------------------------------


def test_one_connection_serves_many_requests_even_with_unread_bodies(cloud: LocalCloud) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", cloud.port, timeout=10)
    try:
        for _ in range(3):
            connection.request("POST", "/", body="{}", headers=LIST_TABLES)
            response = connection.getresponse()
            assert response.status == 200
            assert response.getheader("Connection") != "close"
            assert "TableNames" in json.loads(response.read())
            # A body nobody reads (an unknown REST API) must not end up in front of the next request.
            connection.request("POST", "/restapis/nope/v1/_user_request_/x", body=b"z" * 70_000)
            missing = connection.getresponse()
            assert missing.status == 404
            missing.read()
        first_socket = connection.sock
        connection.request("POST", "/", body="{}", headers=LIST_TABLES)
        connection.getresponse().read()
        assert connection.sock is first_socket  # the same TCP connection throughout
    finally:
        connection.close()


# -- the interpreter's in-process Lambda client --------------------------------------------------------

ECHO = make_zip({"echo.py": "def handler(event, context):\n    return {'got': event}\n"})


def test_direct_lambda_client_answers_like_botocore(cloud: LocalCloud, aws: Callable[[str], Any]) -> None:
    role = aws("iam").create_role(RoleName="direct-lambda", AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"]
    arn = aws("lambda").create_function(
        FunctionName="direct-echo", Runtime="python3.11", Role=role, Handler="echo.handler", Code={"ZipFile": ECHO}
    )["FunctionArn"]
    direct = DirectLambdaClient("us-east-1").invoke(FunctionName=arn, Payload=b'{"a": 1}')
    over_http = aws("lambda").invoke(FunctionName=arn, Payload=b'{"a": 1}')
    assert json.load(direct["Payload"]) == json.load(over_http["Payload"]) == {"got": {"a": 1}}
    assert direct["StatusCode"] == over_http["StatusCode"] == 200
    assert "FunctionError" not in direct
    with pytest.raises(ClientError) as missing:
        DirectLambdaClient("us-east-1").invoke(FunctionName="no-such-function", Payload=b"{}")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
