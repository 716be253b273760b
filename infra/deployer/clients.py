"""boto3 clients for one target (an emulator endpoint, or plain boto3 when endpoint_url is None)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
)
from botocore.parsers import ResponseParserError

from .errors import DeployError, EndpointUnreachableError

DEFAULT_REGION = "us-east-1"


def default_endpoint_url() -> str:
    return f"http://localhost:{os.environ.get('LOCAL_CLOUD_PORT', '4566')}"


class Clients:
    """Creates each service client once. Without credentials anywhere, uses test/test as
    emulators expect, so a fresh machine needs no AWS configuration."""

    def __init__(self, endpoint_url: str | None, region: str) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        session = boto3.session.Session(region_name=region)
        if session.get_credentials() is None:
            session = boto3.session.Session(region_name=region, aws_access_key_id="test", aws_secret_access_key="test")
        self._session = session
        # An emulator answers fast or not at all: fail quickly rather than retry for minutes.
        self._config = Config(
            connect_timeout=5,
            read_timeout=120,
            retries={"max_attempts": 3 if endpoint_url else 8, "mode": "standard"},
        )
        self._cache: dict[str, Any] = {}

    def __call__(self, service: str) -> Any:
        client = self._cache.get(service)
        if client is None:
            client = self._session.client(
                service,
                endpoint_url=self.endpoint_url,
                config=self._config,
            )
            self._cache[service] = client
        return client

    @property
    def where(self) -> str:
        return self.endpoint_url or f"AWS ({self.region})"

    def account_id(self) -> str:
        """The target's account id; also the first call, so it checks that the target answers."""
        with self.translated_errors():
            return str(self("sts").get_caller_identity()["Account"])

    @contextmanager
    def translated_errors(self, context: str = "") -> Iterator[None]:
        """botocore's exceptions as the deployer's one-line errors, prefixed with `context`."""
        try:
            yield
        except (EndpointConnectionError, ConnectTimeoutError) as exc:
            if self.endpoint_url is None:
                raise EndpointUnreachableError("cannot reach AWS: check your network") from exc
            raise EndpointUnreachableError(
                f"nothing answers at {self.endpoint_url}: is the local cloud running? Start it with `make up`"
            ) from exc
        except NoCredentialsError as exc:
            raise DeployError("no AWS credentials found") from exc
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise DeployError(f"{context}{error.get('Code')}: {error.get('Message')}") from exc
        except (BotoCoreError, ResponseParserError) as exc:
            # e.g. some other web server on the port: its HTML is of no use on one line
            raise DeployError(f"{context}{self.where} does not answer like AWS ({type(exc).__name__})") from exc
