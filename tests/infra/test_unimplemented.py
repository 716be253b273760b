"""An operation the local cloud does not implement answers as AWS answers an error (code InternalFailure, status
501, in the service's own protocol, naming the operation), as LocalStack does, never with an HTML 500."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local_cloud.server import LocalCloud


@pytest.mark.parametrize(
    ("service", "operation", "arguments", "content_type"),
    [
        # JSON protocol: {"__type": ..., "message": ...}, what `awslocal stepfunctions redrive-execution` calls.
        ("stepfunctions", "redrive_execution",
         {"executionArn": "arn:aws:states:us-east-1:000000000000:execution:m:e"}, "application/x-amz-json-1.0"),
        # Query protocol: an XML ErrorResponse.
        ("sns", "get_sms_sandbox_account_status", {}, "text/xml"),
    ],
)  # fmt: skip
def test_an_unimplemented_operation_answers_in_the_services_error_shape(
    aws: Callable[[str], Any], service: str, operation: str, arguments: dict[str, Any], content_type: str
) -> None:
    with pytest.raises(ClientError) as raised:
        getattr(aws(service), operation)(**arguments)
    answer = raised.value.response
    name = raised.value.operation_name
    assert answer["Error"]["Code"] == "InternalFailure"
    assert f"does not implement {service} {name}" in answer["Error"]["Message"]
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert answer["ResponseMetadata"]["HTTPHeaders"]["content-type"].startswith(content_type)


def test_awslocal_reports_the_unimplemented_operation_by_name(cloud: LocalCloud) -> None:
    # What a user types: the CLI prints AWS's error line, not an HTML page.
    awslocal = Path(sys.executable).with_name("awslocal")
    environment = {**os.environ, "AWS_ENDPOINT_URL": cloud.endpoint_url, "AWS_MAX_ATTEMPTS": "1"}
    arn = "arn:aws:states:us-east-1:000000000000:execution:m:e"
    result = subprocess.run(
        [str(awslocal), "stepfunctions", "redrive-execution", "--execution-arn", arn],
        env=environment, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "(InternalFailure) when calling the RedriveExecution operation" in result.stderr
    assert "does not implement stepfunctions RedriveExecution" in result.stderr
    assert "<html" not in result.stderr.lower()
