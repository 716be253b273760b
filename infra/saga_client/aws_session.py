"""The one way clients outside the stack (saga_client's commands, the end-to-end tests) reach its endpoint.

On an emulator, the local cloud or LocalStack alike, they go through localstack-client, the ecosystem's
client for port 4566; with no endpoint (in-process moto, or AWS) through plain boto3.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.loaders
import botocore.session
from localstack_client import config
from localstack_client.session import Session as LocalStackSession

# Emulators take any key; the local cloud makes test/test the account's administrator.
EMULATOR_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
# botocore's service and endpoint models, read from disk once per process: each new session has a loader of its
# own otherwise, and reads them again for its first client (about 100 ms for a DynamoDB resource).
_MODELS = botocore.loaders.create_loader()


def aws_session(endpoint_url: str | None, region: str = "us-east-1") -> Any:
    """A session whose ``client(service, **kwargs)`` and ``resource(service, **kwargs)`` reach ``endpoint_url``
    (None: the SDK's own endpoints). Raises ValueError if localstack-client would go elsewhere."""
    if endpoint_url is None:
        core = botocore.session.get_session()
        core.register_component("data_loader", _MODELS)
        return boto3.session.Session(botocore_session=core, region_name=region)
    parts = urlsplit(endpoint_url)
    if parts.scheme != "http" or not parts.hostname or parts.port is None:
        raise ValueError(f"{endpoint_url!r}: an emulator endpoint is http://<host>:<port>")
    localstack_host = f"{parts.hostname}:{parts.port}"
    # localstack-client lets $AWS_ENDPOINT_URL win over the host it is given: refuse rather than send the
    # calls to another port than the one asked for (LOCAL_CLOUD_PORT, --endpoint-url).
    resolved = config.get_service_endpoint("dynamodb", localstack_host=localstack_host)
    if (resolved or "").rstrip("/") != endpoint_url.rstrip("/"):
        raise ValueError(
            f"AWS_ENDPOINT_URL={resolved} would take the calls meant for {endpoint_url}: unset it or make them agree"
        )
    return LocalStackSession(region_name=region, localstack_host=localstack_host, **EMULATOR_CREDENTIALS)
