"""The sample events of `events/` (shared with `sam local invoke -e`), and API Gateway REST proxy events
built from them for the API's tests."""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parents[2] / "events"
_UNSET: Any = object()


def load_event(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / name).read_text(encoding="utf-8")))


def claims_of(username: str, *groups: str) -> dict[str, str]:
    """The claims API Gateway's Cognito authorizer passes on for a signed-in user: every value a string, the list
    `cognito:groups` its items joined with commas, as AWS renders it ("admins,ops")."""
    claims = {"cognito:username": username, "token_use": "id", "sub": f"sub-{username}"}
    if groups:
        claims["cognito:groups"] = ",".join(groups)
    return claims


def id_token_of(username: str, *groups: str) -> str:
    """The ID token (its signature left out: API Gateway checked it) whose claims `claims_of` renders."""
    payload = {
        "cognito:username": username,
        "token_use": "id",
        "sub": f"sub-{username}",
        "cognito:groups": list(groups),
    }
    segments = [{"alg": "RS256", "kid": "test"}, payload]
    encoded = [base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode() for part in segments]
    return ".".join([*encoded, "signature"])


OPERATOR = claims_of("operator", "admins")


def api_event(
    method: str,
    path: str,
    *,
    body: Any = _UNSET,
    raw_body: str | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    sample: str = "api_checkout.json",
    caller: dict[str, str] | None = OPERATOR,
) -> dict[str, Any]:
    """A REST proxy event for `method path`, from a sample: `body` is sent as JSON, `raw_body` as is.
    The sample's Content-Type is kept when there is a body and dropped otherwise; `headers` override.
    `caller`: the authorizer's claims (`claims_of`); by default an operator, None for no authorizer context."""
    event = copy.deepcopy(load_event(sample))
    if caller is None:
        event["requestContext"].pop("authorizer", None)
    else:
        event["requestContext"]["authorizer"] = {"claims": dict(caller)}
    sent = raw_body if raw_body is not None else None if body is _UNSET else json.dumps(body)
    all_headers = {name: value for name, value in event["headers"].items() if name.lower() != "idempotency-key"}
    if sent is None:
        all_headers.pop("Content-Type", None)
    all_headers.update(headers or {})
    event.update(
        httpMethod=method,
        path=path,
        resource=path,
        body=sent,
        headers=all_headers,
        multiValueHeaders={name: [value] for name, value in all_headers.items()},
        queryStringParameters=query or None,
        multiValueQueryStringParameters={name: [value] for name, value in query.items()} if query else None,
        pathParameters=None,
    )
    event["requestContext"].update(httpMethod=method, path=f"/{event['requestContext']['stage']}{path}")
    return event


@dataclass
class LambdaContextStub:
    """What powertools reads from Lambda's context object."""

    function_name: str = "ApiFunction"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:ApiFunction"
    aws_request_id: str = "00000000-0000-4000-8000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000
