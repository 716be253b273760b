"""API Gateway's Cognito user-pool authorizer (REST, v1), as AWS runs it before a method's integration.

The token comes from the authorizer's identity source (a header: `method.request.header.Authorization`) as the
raw ID token. It is accepted only if its RS256 signature verifies against the JWKS of one of the authorizer's
user pools (moto's cognito-idp signs every pool's tokens with one key pair and serves its public half at
`/<poolId>/.well-known/jwks.json`), its issuer is that pool, its audience one of the pool's app clients, its
`token_use` is `id` and it has not expired. Anything else is API Gateway's `401 {"message": "Unauthorized"}`
and the function does not run.

The claims reach the function as API Gateway passes them in `requestContext.authorizer.claims`: every value a
string, a list (such as `cognito:groups`) joined with commas.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

LOG = logging.getLogger(__name__)

_JWKS_RESOURCE = "cognitoidp/resources/jwks-public.json"
_HEADER_SOURCE = "method.request.header."


@dataclass(frozen=True)
class Denied:
    """Why a request was refused: logged (never the token itself), as API Gateway's execution log would."""

    reason: str


def authorize(authorizer: Any, headers: Any, account_id: str) -> dict[str, str] | Denied:
    """The claims of a valid token for `authorizer` (moto's Authorizer model), or why there is none."""
    source = str(authorizer.identity_source or f"{_HEADER_SOURCE}Authorization")
    if not source.startswith(_HEADER_SOURCE):
        return Denied(f"identity source {source} is not supported")
    token = (headers.get(source[len(_HEADER_SOURCE) :]) or "").strip()
    if not token:
        return Denied("no token")
    try:
        decoded = jwt.decode(token, _public_keys(), algorithms=["RS256"])
    except (JoseError, ValueError) as exc:  # not a JWS, wrong signature, unknown key id
        return Denied(f"token does not verify ({type(exc).__name__})")
    claims = decoded.claims
    pool = _pool_of(claims.get("iss"), list(authorizer.provider_arns or []), account_id)
    if pool is None:
        return Denied("issuer is not a user pool of this authorizer")
    if claims.get("token_use") != "id":
        return Denied("not an ID token")
    if claims.get("aud") not in pool.clients:
        return Denied("audience is not an app client of the user pool")
    expires = claims.get("exp")
    if not isinstance(expires, int | float) or expires <= time.time():
        return Denied("token has expired")
    return {name: _claim_text(value) for name, value in claims.items()}


@lru_cache(maxsize=1)
def _public_keys() -> KeySet:
    from moto.utilities.utils import load_resource

    return KeySet.import_key_set(load_resource(_JWKS_RESOURCE))


def _pool_of(issuer: Any, provider_arns: list[str], account_id: str) -> Any:
    """The user pool among the authorizer's providers that issued the token, or None."""
    from moto.cognitoidp.models import cognitoidp_backends

    for arn in provider_arns:
        parts = arn.split(":")  # arn:aws:cognito-idp:<region>:<account>:userpool/<id>
        if len(parts) != 6 or not parts[5].startswith("userpool/"):
            continue
        region, pool_id = parts[3], parts[5].split("/", 1)[1]
        if issuer != f"https://cognito-idp.{region}.amazonaws.com/{pool_id}":
            continue
        return cognitoidp_backends[parts[4] or account_id][region].user_pools.get(pool_id)
    return None


def _claim_text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)
