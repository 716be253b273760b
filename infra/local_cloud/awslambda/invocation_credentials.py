"""In-process Lambda calls sign with their function's role, as a worker process does through its environment.

Under ``mock_aws`` every handler runs in the test process and shares its module-level caches, so a boto3
client created during one function's call would go on signing with that function's credentials during
another's. botocore's ``RequestSigner.get_auth_instance`` takes ``request_credentials`` for exactly this
(per-request credentials); the seam passes the credentials of the call in progress, kept in a context
variable, so each request is signed as the function that makes it. Outside a call nothing changes.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from local_cloud.seams import Installation, replace, require_signature

_current: contextvars.ContextVar[Any] = contextvars.ContextVar("local_cloud_invocation_credentials", default=None)


@contextmanager
def acting_as(environment: Mapping[str, str]) -> Iterator[None]:
    """Sign every botocore request of this context with the credentials of ``environment`` (the
    ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``/``AWS_SESSION_TOKEN`` Lambda would set)."""
    from botocore.credentials import Credentials

    credentials = Credentials(
        environment["AWS_ACCESS_KEY_ID"], environment["AWS_SECRET_ACCESS_KEY"], environment.get("AWS_SESSION_TOKEN")
    )
    token = _current.set(credentials)
    try:
        yield
    finally:
        _current.reset(token)


def install() -> Installation:
    from botocore.signers import RequestSigner

    original = RequestSigner.get_auth_instance
    require_signature(
        original,
        ["self", "signing_name", "region_name", "signature_version", "request_credentials", "kwargs"],
        "botocore RequestSigner.get_auth_instance",
    )

    def get_auth_instance(
        self: Any,
        signing_name: str,
        region_name: str,
        signature_version: Any = None,
        request_credentials: Any = None,
        **kwargs: Any,
    ) -> Any:
        return original(
            self, signing_name, region_name, signature_version, request_credentials or _current.get(), **kwargs
        )

    return Installation([replace(RequestSigner, "get_auth_instance", get_auth_instance)])
