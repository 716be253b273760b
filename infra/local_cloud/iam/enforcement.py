"""IAM enforced on every request moto serves, resource by resource, as AWS decides it.

The seam is ``ActionAuthenticatorMixin._authenticate_and_authorize_normal_action(self, resource)``, which
every moto response class but S3's calls before running an operation. moto's own version is off unless
``INITIAL_NO_AUTH_ACTION_COUNT`` is set, authorizes against resource ``"*"`` only, and cannot evaluate roles
whose trust policy names a service. Ours:

- a request signed with the access key ``test`` (or moto's in-process test key) acts as the account's
  administrator (what every local tool and the AWS CLI with ``test``/``test`` use, as on LocalStack);
- any other key must be one moto issued (an IAM user's, or temporary credentials of an assumed role),
  with a valid signature and, for temporary credentials, not expired;
- each (action, resource) pair the request touches (``resources``) must be allowed by the principal's
  policies; otherwise the request fails with AWS's ``AccessDeniedException`` (``AccessDenied`` for
  query-protocol services such as IAM and STS), before the operation runs.
"""

from __future__ import annotations

import base64
import datetime
import json
import logging
import threading
import time
from typing import Any

from werkzeug.exceptions import HTTPException

from local_cloud.iam import kms_keys
from local_cloud.iam.evaluation import Principal, Request, UnsupportedCondition
from local_cloud.iam.policies import AccessDenied, allows, authorized
from local_cloud.iam.request_context import dynamodb_context, kms_context
from local_cloud.iam.resources import request_checks
from local_cloud.seams import Installation, replace, require_signature, require_source

_log = logging.getLogger(__name__)
# The keys of the account's administrator: ``test`` (the local tools, the AWS CLI, LocalStack's convention)
# and the one moto's ``mock_aws`` puts in the environment of in-process suites for their own setup calls.
ADMIN_ACCESS_KEYS = frozenset({"test", "FOOBARKEY"})
# moto raises these with the query-protocol names; JSON services answer with their own.
_JSON_NAMES = {
    "InvalidClientTokenId": "UnrecognizedClientException",
    "SignatureDoesNotMatch": "InvalidSignatureException",
}
_ALWAYS_ALLOWED = {"sts:GetCallerIdentity"}  # AWS answers it even under an explicit Deny


def install() -> Installation:
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.core.responses import BaseResponse

    seam = "_authenticate_and_authorize_normal_action"
    require_signature(getattr(ActionAuthenticatorMixin, seam), ["self", "resource"], f"ActionAuthenticatorMixin.{seam}")
    require_source(BaseResponse.call_action, [f"self.{seam}(resource)"], "BaseResponse.call_action")

    def authorize(self: Any, resource: str = "*") -> None:
        started = time.thread_time()  # this thread's CPU only: what enforcement costs, whatever else runs
        try:
            authorize_request(self)
        finally:
            _STATS.add(time.thread_time() - started)

    return Installation([replace(ActionAuthenticatorMixin, seam, authorize)])


class _Stats:
    """Requests authorized and the CPU time it took, since the local cloud started (make bench reports it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.cpu_seconds = 0.0

    def add(self, cpu_seconds: float) -> None:
        with self._lock:
            self.requests += 1
            self.cpu_seconds += cpu_seconds


_STATS = _Stats()


def enforcement_stats() -> dict[str, float]:
    return {"requests": _STATS.requests, "cpuMs": round(_STATS.cpu_seconds * 1000, 3)}


def authorize_request(response: Any) -> None:
    """Raises the HTTP error AWS would answer, or returns when the request may run."""
    headers = response.headers
    if headers.get("X-Amz-Target") in _public_operations():
        return
    authorization = headers.get("Authorization") or ""
    if "Credential=" not in authorization:
        raise _error(response, "MissingAuthenticationTokenException", "Missing Authentication Token", 403)
    scope = authorization.partition("Credential=")[2].partition(",")[0].split("/")
    if scope[0] in ADMIN_ACCESS_KEYS:
        return
    from moto.iam.access_control import IAMRequest

    service = scope[3] if len(scope) > 3 else ""
    action = response._get_action()
    try:
        request = IAMRequest(  # finds the key: moto raises if it never issued it
            account_id=response.current_account,
            method=response.method,
            path=_signed_path(response),
            data=response.data,
            body=response.raw_body,
            headers=headers,
            action=action,
        )
        request.check_signature()
    except HTTPException as exc:
        code = getattr(exc, "error_type", "")
        raise _error(response, _JSON_NAMES.get(code, code), getattr(exc, "message", str(exc)), 403) from None
    principal = request._access_key
    if _expired(principal):
        raise _error(response, "ExpiredTokenException", "The security token included in the request is expired", 403)
    caller = _caller(principal)
    documents = [_document_text(policy) for policy in principal.collect_policies()]
    params = _params(response)
    for iam_action, resource in request_checks(
        service,
        action,
        params,
        region=response.region,
        account=response.current_account,
        path=response.path,
        qualifier=_query_value(response, "Qualifier"),
    ):
        if iam_action in _ALWAYS_ALLOWED:
            continue
        try:
            allowed, resource = _decide(response, service, action, params, caller, documents, iam_action, resource)
        except UnsupportedCondition as exc:
            _log.error("refused %s on %s for %s: %s", iam_action, resource, caller.principal_arn, exc)
            denied = AccessDenied(principal.arn, iam_action, resource)
            raise _error(response, "AccessDeniedException", f"{denied}: {exc}", 403) from None
        if not allowed:
            denied = AccessDenied(principal.arn, iam_action, resource)
            raise _error(response, "AccessDeniedException", str(denied), 403)


def _decide(
    response: Any,
    service: str,
    action: str,
    params: dict[str, Any],
    caller: Principal,
    documents: list[str],
    iam_action: str,
    resource: str,
) -> tuple[bool, str]:
    """AWS's decision on one (action, resource) pair, and the resource it was taken on (a KMS alias resolves to
    its key): the identity policies, with the request's condition keys, and the resource's policy where the
    service has one the stack uses (a KMS key's, required; an event bus's)."""
    region, account = response.region, response.current_account
    context: dict[str, Any] = {
        "aws:SecureTransport": "true" if getattr(response, "uri", "").startswith("https:") else "false",
        "aws:CurrentTime": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(time.time())),
    }
    if service == "kms":
        context.update(kms_context(params))
        ciphertext = params.get("CiphertextBlob")
        key = kms_keys.find_key(account, region, str(params.get("KeyId") or ""), _blob(ciphertext))
        if key is None:
            return allows(documents, iam_action, resource, caller, context), resource
        context.update(kms_keys.context(key, caller))
        request = Request(iam_action, key.arn, caller, context)
        return kms_keys.key_allows(key, documents, request), key.arn
    if service == "dynamodb":
        table = resource.split(":table/", 1)[-1].split("/", 1)[0]
        context.update(dynamodb_context(action, params, table, _partition_key(account, region)))
    policy = _bus_policy(account, region, resource) if iam_action == "events:PutEvents" else None
    return authorized(documents, Request(iam_action, resource, caller, context), policy), resource


def _caller(access_key: Any) -> Principal:
    role = getattr(access_key, "_owner_role_name", "")
    account = access_key.account_id
    return Principal(
        arn=access_key.arn,
        account=account,
        role_arn=f"arn:aws:iam::{account}:role/{role}" if role else "",
    )


def _blob(value: Any) -> bytes | None:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str) and value:
        try:
            return base64.b64decode(value)
        except ValueError:
            return None
    return None


def _partition_key(account: str, region: str) -> Any:
    def of(table: str) -> str | None:
        from moto.dynamodb.models import dynamodb_backends

        found = dynamodb_backends[account][region].tables.get(table)
        return str(found.hash_key_attr) if found is not None else None

    return of


def _bus_policy(account: str, region: str, bus_arn: str) -> dict[str, Any] | None:
    from moto.events.models import events_backends

    bus = events_backends[account][region].event_buses.get(bus_arn.rsplit("/", 1)[-1])
    policy = bus.policy if bus is not None else None
    return json.loads(policy) if policy else None


def _signed_path(response: Any) -> str:
    # As moto's own check builds it: the raw path plus the query string, which SigV4 signs.
    path = str(response.raw_path)
    query = response.parsed_url.query
    return f"{path}?{query}" if query else path


def _expired(principal: Any) -> bool:
    from moto.iam.access_control import AssumedRoleAccessKey
    from moto.sts.models import sts_backends

    if not isinstance(principal, AssumedRoleAccessKey):
        return False
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)  # moto keeps naive UTC times
    for assumed in sts_backends[principal.account_id][principal.partition].assumed_roles:
        if assumed.access_key_id == principal._access_key_id:
            return bool(assumed.expiration < now)
    return False


def _query_value(response: Any, name: str) -> str:
    """One value of the request's query string ("" when absent): Lambda's ``Qualifier`` travels there."""
    values = (getattr(response, "querystring", None) or {}).get(name) or [""]
    return str(values[0] if isinstance(values, list) else values)


def _params(response: Any) -> dict[str, Any]:
    params = getattr(response, "params", None)
    if isinstance(params, dict) and params:
        return params
    body = response.body
    if isinstance(body, dict):
        return body
    if isinstance(body, bytes | str) and body[:1] in ("{", b"{"):
        try:
            parsed = json.loads(body)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return dict(response.data or {})


def _document_text(policy: Any) -> str:
    """moto's collect_policies gives inline documents as text and attached ones as Policy objects."""
    from moto.iam.models import Policy

    if isinstance(policy, Policy):
        return str(next(v for v in policy.versions if v.is_default).document)
    if isinstance(policy, dict):
        return str(policy["policy_document"])
    return str(policy)


def _public_operations() -> list[str]:
    from moto.core.authorization import ActionAuthenticatorMixin

    return ActionAuthenticatorMixin.PUBLIC_OPERATIONS


def _error(response: Any, code: str, message: str, status: int) -> Exception:
    """AWS's error in the service's protocol: JSON with ``__type`` for JSON and REST-JSON services, moto's
    XML error for query services (where AWS names it ``AccessDenied``)."""
    from moto.core.exceptions import JsonRESTError, _RESTError

    error: _RESTError
    if _protocol(response) in ("json", "rest-json"):
        error = JsonRESTError(code, message)
    else:
        query_names = {json_name: query_name for query_name, json_name in _JSON_NAMES.items()}
        error = _RESTError(query_names.get(code, code.removesuffix("Exception")), message)
    error.code = status
    return error


def _protocol(response: Any) -> str:
    from moto.core.utils import get_service_model

    try:
        return str(get_service_model(response.boto3_service_name).metadata.get("protocol", ""))
    except Exception:  # a moto-only service without a botocore model
        return ""
