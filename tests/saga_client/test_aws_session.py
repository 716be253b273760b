"""One client path for both emulators: localstack-client on the endpoint asked for, plain boto3 without one."""

from __future__ import annotations

import pytest

from saga_client.aws_session import aws_session


def test_an_emulator_endpoint_goes_through_localstack_client_on_that_port() -> None:
    from localstack_client.session import Session

    session = aws_session("http://localhost:4610", "eu-west-1")
    assert isinstance(session, Session)
    client = session.client("dynamodb")
    assert client.meta.endpoint_url == "http://localhost:4610"
    assert client.meta.region_name == "eu-west-1"
    credentials = client._request_signer._credentials
    assert (credentials.access_key, credentials.secret_key) == ("test", "test")
    assert session.resource("dynamodb").meta.client.meta.endpoint_url == "http://localhost:4610"


def test_no_endpoint_is_plain_boto3() -> None:
    client = aws_session(None).client("stepfunctions")
    assert client.meta.endpoint_url == "https://states.us-east-1.amazonaws.com"


def test_an_aws_endpoint_url_elsewhere_is_refused_not_followed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://localhost:4566")
    with pytest.raises(ValueError, match="AWS_ENDPOINT_URL=http://localhost:4566 would take the calls"):
        aws_session("http://localhost:4610")
    assert aws_session("http://localhost:4566").client("ssm").meta.endpoint_url == "http://localhost:4566"


@pytest.mark.parametrize("endpoint", ["https://localhost:4566", "http://localhost", "localhost:4566"])
def test_an_endpoint_that_is_not_http_host_port_is_refused(endpoint: str) -> None:
    with pytest.raises(ValueError, match="http://<host>:<port>"):
        aws_session(endpoint)
